//! Where a flow moves its points: flat R^n, or the charts of a manifold from `mvl-manifold`.
//!
//! Every flow of this crate works in chart coordinates x of its input y (the identity chart
//! for [`Flat`]), towards the chart density of q^s: a density q_H ∝ exp(−E) with respect to the
//! Riemannian volume has the Lebesgue chart density q_H·√det G, so the flows target
//! exp(−E_chart) with E_chart = s·E∘embed − ½ log det G (paper §2.3, eq. 3; the sign is the
//! authors' code's, paper-spec §2.3).

use crate::error::{FlowError, Result};
use crate::flow::{Noise, check_batch, ensure_finite};
use mvl_manifold::{Chart, Energy, Euclidean, IdentityChart, Manifold};
use mvl_manifold::{Metric, row_norm_sq};
use mvl_manifold::{differentiable, grad_of_sum};
use tch::Tensor;

/// The space a flow samples on: it checks inputs and hands out charts.
///
/// Implemented by [`Flat`] (R^n of any dimension n, identity chart) and by every
/// [`Manifold`] (through a blanket implementation), so that `Svgd<Flat>` and
/// `Svgd<Sphere>` share one code path.
///
/// # Shapes
/// Points `[b, n]` in the input's coordinates; chart points `[b, d]`.
pub trait Geometry: std::fmt::Debug + Send {
    /// The chart type handed out by [`Geometry::local_chart`] and [`Geometry::batch_chart`].
    type Chart: Chart;

    /// Checks that `y` is a batch of points of the space (shape, finiteness, membership).
    fn check(&self, what: &'static str, y: &Tensor) -> Result<()>;

    /// The chart dimension d for the batch `y` (the dimension of the flows' normal noise).
    fn chart_dim(&self, y: &Tensor) -> i64;

    /// A chart for every row of `y` (it may differ between rows, e.g. the sphere's pole).
    /// Used by flows whose particles do not interact (Langevin dynamics).
    fn local_chart(&self, y: &Tensor) -> Result<Self::Chart>;

    /// One chart for the whole batch, in which interacting particles can be compared
    /// (SVGD's kernel, the birth-death density estimate). For a manifold it is the atlas
    /// chart at the projected mean of the batch: exact for a global chart (Euclidean space, the
    /// Poincaré ball); on the sphere, the stereographic chart from the pole opposite the mean,
    /// which covers every point except that pole.
    fn batch_chart(&self, y: &Tensor) -> Result<Self::Chart>;

    /// (e₀, h): e₀ = E(embed(x)) and h = ∇ₓe₀ in chart coordinates, with `create_graph` so that
    /// h stays differentiable with respect to the energy's parameters. The default
    /// differentiates through the embedding by autograd.
    fn energy_and_grad(
        &self,
        chart: &Self::Chart,
        energy: &dyn Energy,
        x: &Tensor,
    ) -> (Tensor, Tensor) {
        let x = differentiable(x);
        let e = energy.energy(&chart.embed(&x));
        let h = grad_of_sum(&e, &x);
        (e, h)
    }
}

/// Flat R^n of whatever dimension the input has, with the identity chart: the geometry of
/// the Euclidean flows (paper-spec §2.1, §2.4). Energies' closed-form gradients are used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flat;

impl Flat {
    fn chart(y: &Tensor) -> Result<IdentityChart> {
        Ok(Euclidean::new(y.size()[1])?.chart_at(y))
    }
}

impl Geometry for Flat {
    type Chart = IdentityChart;

    fn check(&self, what: &'static str, y: &Tensor) -> Result<()> {
        check_batch(what, y, None)?;
        Euclidean::new(y.size()[1])?;
        Ok(())
    }

    fn chart_dim(&self, y: &Tensor) -> i64 {
        y.size().get(1).copied().unwrap_or(0)
    }

    fn local_chart(&self, y: &Tensor) -> Result<IdentityChart> {
        Self::chart(y)
    }

    fn batch_chart(&self, y: &Tensor) -> Result<IdentityChart> {
        Self::chart(y)
    }

    fn energy_and_grad(
        &self,
        _chart: &IdentityChart,
        energy: &dyn Energy,
        x: &Tensor,
    ) -> (Tensor, Tensor) {
        energy.energy_and_grad(x)
    }
}

impl<M: Manifold> Geometry for M {
    type Chart = M::Chart;

    fn check(&self, what: &'static str, y: &Tensor) -> Result<()> {
        // The manifold's own check first (its typed errors for shape, kind and membership),
        // then the flows' rule that a batch is not empty.
        self.check_points(y)?;
        check_batch(what, y, Some(self.ambient_dim()))
    }

    fn chart_dim(&self, _y: &Tensor) -> i64 {
        self.dim()
    }

    fn local_chart(&self, y: &Tensor) -> Result<M::Chart> {
        Ok(self.chart_at(y))
    }

    fn batch_chart(&self, y: &Tensor) -> Result<M::Chart> {
        let centre = self.project(&y.detach().mean_dim(0, true, y.kind()));
        let chart = self.chart_at(&centre.expand_as(y));
        match ensure_finite(
            "batch chart",
            "chart coordinate",
            &chart.coords(&y.detach()),
        ) {
            Err(FlowError::NonFinite { row, value, .. }) => {
                Err(FlowError::ChartUndefined { row, value })
            }
            other => other.map(|()| chart),
        }
    }
}

/// Checks the points `y` of a step with the geometry ([`Geometry::check`]) and, for an energy
/// that declares its input width ([`Energy::input_dim`]), the width of `y` against it.
pub(crate) fn check_input<G: Geometry + ?Sized>(
    geometry: &G,
    what: &'static str,
    energy: &dyn Energy,
    y: &Tensor,
) -> Result<()> {
    geometry.check(what, y)?;
    check_batch(what, y, energy.input_dim())
}

/// Which squared norm sets the per-row step εᵢ = ε / max(1, ·) (paper-spec §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RescaleBy {
    /// |h|², the raw energy gradient in chart coordinates (the authors' Euclidean flows).
    Gradient,
    /// |v|², the full chart drift (the authors' Riemannian Langevin).
    Drift,
}

/// Everything a flow needs at the start of a step, in the chart coordinates of its input.
pub(crate) struct ChartState<C> {
    /// The input points y, `[b, n]`.
    pub input: Tensor,
    /// The chart of the input.
    pub chart: C,
    /// Chart coordinates x of the input, `[b, d]` (with the input's graph).
    pub x: Tensor,
    /// e₀ = E(embed(x)), the unscaled energy, `[b]`.
    pub energy: Tensor,
    /// h = ∇ₓe₀, `[b, d]`: the control variate's gradient (paper-spec §2.3 step 2).
    pub grad: Tensor,
    /// k = s·h − ∇ₓ½log det G = ∇ₓE_chart, `[b, d]` (paper-spec §2.3 step 3).
    pub target_grad: Tensor,
    /// G(x).
    pub metric: Metric,
    /// The Riemannian Langevin drift v = −G⁻¹k + Σⱼ∂ⱼg^{ij}, `[b, d]` (paper eq. 4 with the
    /// code's sign of the log-det term, paper-spec §2.3 step 4).
    pub drift: Tensor,
}

impl<C: Chart> ChartState<C> {
    /// Evaluates the energy at the points `y` through `chart` (one backward pass), and fails
    /// with [`FlowError::ShapeMismatch`] if the energy's value or gradient has the wrong
    /// shape, and with [`FlowError::NonFinite`] where the energy, its gradient or the drift
    /// is not finite.
    pub fn new<G>(
        flow: &'static str,
        geometry: &G,
        chart: C,
        energy: &dyn Energy,
        y: &Tensor,
        scale: f64,
    ) -> Result<Self>
    where
        G: Geometry<Chart = C> + ?Sized,
    {
        let state = Self::evaluate(flow, geometry, chart, energy, y, scale)?;
        let (b, d) = (state.x.size()[0], state.x.size()[1]);
        for (what, t, expected) in [
            ("energy value", &state.energy, vec![b]),
            ("energy gradient", &state.grad, vec![b, d]),
        ] {
            if t.size() != expected {
                return Err(FlowError::ShapeMismatch {
                    what,
                    expected: format!("{expected:?}"),
                    got: t.size(),
                });
            }
        }
        ensure_finite(flow, "energy", &state.energy)?;
        ensure_finite(flow, "energy gradient", &state.grad)?;
        ensure_finite(flow, "drift", &state.drift)?;
        Ok(state)
    }

    /// [`ChartState::new`] without the shape and finiteness checks (for MH proposals, where
    /// a non-finite value means rejection); [`FlowError::Energy`] when the energy itself
    /// fails on the points (libtorch's error, e.g. a wrong input width).
    pub fn evaluate<G>(
        flow: &'static str,
        geometry: &G,
        chart: C,
        energy: &dyn Energy,
        y: &Tensor,
        scale: f64,
    ) -> Result<Self>
    where
        G: Geometry<Chart = C> + ?Sized,
    {
        let x = chart.coords(y);
        let (e0, h) = mvl_manifold::catch_torch(|| geometry.energy_and_grad(&chart, energy, &x))
            .map_err(|message| FlowError::Energy {
                flow,
                shape: y.size(),
                message,
            })?;
        // An energy in another floating kind than the points (an f64 energy for f32 points)
        // is evaluated as given and its results cast to the points' kind, so that every
        // step stays in the kind of its input.
        let (e0, h) = (e0.to_kind(x.kind()), h.to_kind(x.kind()));
        let metric = chart.metric(&x);
        let (k, drift) = if chart.is_flat() {
            let k = &h * scale;
            let drift = -&k;
            (k, drift)
        } else {
            let k = &h * scale - chart.half_log_det_grad(&x);
            let drift = chart.inv_metric_div(&x) - metric.inverse_apply(&k);
            (k, drift)
        };
        Ok(Self {
            input: y.shallow_clone(),
            chart,
            x,
            energy: e0,
            grad: h,
            target_grad: k,
            metric,
            drift,
        })
    }

    /// The step size of each row under `rule`, `[b]` (detached): ε, or with rescaling
    /// ε / max(1, stat) for the squared norm `by` names (the statistic is computed only then).
    pub fn step_sizes(&self, rule: &crate::flow::StepRule, by: RescaleBy) -> Tensor {
        if rule.rescale {
            rule.per_row(&self.rescale_stat(by))
        } else {
            Tensor::full(
                [self.x.size()[0]],
                rule.eps,
                (self.x.kind(), self.x.device()),
            )
        }
    }

    /// The squared norm that rescales the step of each row, `[b]`.
    pub fn rescale_stat(&self, by: RescaleBy) -> Tensor {
        match by {
            RescaleBy::Gradient => row_norm_sq(&self.grad),
            RescaleBy::Drift => row_norm_sq(&self.drift),
        }
    }
}

/// Checks that the noise has the shapes `[b, d]` (normal) and `[b, k]` (uniform) for a batch
/// `y` of b rows.
pub(crate) fn check_noise(noise: &Noise, y: &Tensor, d: i64, k: i64) -> Result<()> {
    let b = y.size()[0];
    for (what, t, cols) in [
        ("normal noise", &noise.normal, d),
        ("uniform noise", &noise.uniform, k),
    ] {
        if t.size() != [b, cols] {
            return Err(FlowError::ShapeMismatch {
                what,
                expected: format!("[{b}, {cols}]"),
                got: t.size(),
            });
        }
    }
    Ok(())
}
