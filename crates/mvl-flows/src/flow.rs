//! The `GradientFlow` trait, its step record and the shared step-size rule.

use crate::error::{FlowError, Result};
use mvl_manifold::Energy;
use tch::{Kind, Tensor};

/// The random inputs of one step, drawn by [`GradientFlow::draw_noise`] or given explicitly to
/// [`GradientFlow::step_with`] for exact, reproducible tests.
///
/// # Shapes
/// `normal`: `[b, d]` standard normal in the flow's own coordinates (d = chart dimension for
/// Riemannian flows); `uniform`: `[b, k]` U(0, 1) with k = [`GradientFlow::uniforms`].
#[derive(Debug)]
pub struct Noise {
    /// Standard normal draws, scaled by the flow into its diffusion increment.
    pub normal: Tensor,
    /// Uniform draws for accept/reject or jump decisions.
    pub uniform: Tensor,
}

/// The record of one step from `x`.
///
/// # Shapes
/// `next`: like `x`; `energy`, `step_size`, `diffusion`, `accepted`: `[b]`.
#[derive(Debug)]
pub struct Step {
    /// The new points, in the coordinates of the input (ambient for manifold flows). Differentiable
    /// with respect to the energy's parameters.
    pub next: Tensor,
    /// E(x) at the start (unscaled energy, with its graph), so objectives need not recompute it.
    pub energy: Tensor,
    /// The step size εᵢ used for each row (no gradient).
    pub step_size: Tensor,
    /// ⟨∇E(x), ξ⟩: the unscaled energy gradient, in the flow's own coordinates, against the
    /// diffusion increment ξ of the step. This is the control variate of minimum velocity
    /// learning (paper eq. 11). `None` for deterministic flows.
    pub diffusion: Option<Tensor>,
    /// Which rows' proposals were accepted by a Metropolis-Hastings test (`None` without one).
    pub accepted: Option<Tensor>,
}

/// A time discretisation of a gradient flow of KL(·‖q) for q ∝ exp(−s·E), one step at a time.
///
/// Every flow takes an energy scale s (minimum velocity learning runs flows towards q^{1/2}:
/// s = 0.5) and a step size ε, optionally rescaled per row (see [`StepRule`]).
pub trait GradientFlow: std::fmt::Debug + Send {
    /// A short name for messages.
    fn name(&self) -> &'static str;

    /// The dimension of the normal noise for a batch `x` (the chart dimension).
    fn noise_dim(&self, x: &Tensor) -> i64 {
        x.size().get(1).copied().unwrap_or(0)
    }

    /// Uniform draws needed per row and step.
    fn uniforms(&self) -> i64 {
        0
    }

    /// Draws the noise of one step for the batch `x` (libtorch's generator, `x`'s device and
    /// dtype; f64 for a non-floating `x`, which the step then refuses with a typed error).
    fn draw_noise(&self, x: &Tensor) -> Noise {
        let b = x.size().first().copied().unwrap_or(0);
        let kind = if x.is_floating_point() {
            x.kind()
        } else {
            Kind::Double
        };
        let opts = (kind, x.device());
        Noise {
            normal: Tensor::randn([b, self.noise_dim(x)], opts),
            uniform: Tensor::rand([b, self.uniforms()], opts),
        }
    }

    /// One step from `x` with the given noise: pure and deterministic.
    fn step_with(&self, energy: &dyn Energy, x: &Tensor, noise: &Noise) -> Result<Step>;

    /// One step from `x` with freshly drawn noise.
    fn step(&self, energy: &dyn Energy, x: &Tensor) -> Result<Step> {
        self.step_with(energy, x, &self.draw_noise(x))
    }

    /// Runs `steps` steps from `x`, detaching between steps (for sampling, not learning).
    fn sample(&self, energy: &dyn Energy, x: &Tensor, steps: usize) -> Result<Tensor> {
        let mut x = x.detach();
        for _ in 0..steps {
            x = self.step(energy, &x)?.next.detach();
        }
        Ok(x)
    }
}

/// The step-size rule shared by the flows: base ε > 0, energy scale s > 0, and optional
/// per-row rescaling εᵢ = ε / max(1, |driftᵢ|²) with no gradient through εᵢ (paper-spec §2.1,
/// §2.3: the authors' code; it keeps steps stable where the energy is steep).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRule {
    /// The base step size ε.
    pub eps: f64,
    /// The energy scale s of the target q^s.
    pub scale: f64,
    /// Whether εᵢ = ε / max(1, |driftᵢ|²).
    pub rescale: bool,
}

impl StepRule {
    /// Validates ε (finite, > 0); scale 1, no rescaling.
    pub fn new(eps: f64) -> Result<Self> {
        positive("step size", eps)?;
        Ok(Self {
            eps,
            scale: 1.0,
            rescale: false,
        })
    }

    /// Sets the energy scale s (finite, > 0).
    pub fn with_scale(mut self, scale: f64) -> Result<Self> {
        positive("energy scale", scale)?;
        self.scale = scale;
        Ok(self)
    }

    /// Turns per-row rescaling on or off.
    pub fn with_rescale(mut self, rescale: bool) -> Self {
        self.rescale = rescale;
        self
    }

    /// Per-row step sizes `[b]` (detached) from the squared drift norms `[b]`.
    pub fn per_row(&self, drift_norm_sq: &Tensor) -> Tensor {
        let base = drift_norm_sq.detach().ones_like() * self.eps;
        if self.rescale {
            base / drift_norm_sq.detach().clamp_min(1.0)
        } else {
            base
        }
    }
}

/// Checks that `value` is finite and > 0.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(FlowError::InvalidParameter {
            name,
            value,
            reason: "must be finite and > 0",
        })
    }
}

/// Fails with [`FlowError::NonFinite`] if some row of `t` (`[b]` or `[b, d]`) is not finite.
pub(crate) fn ensure_finite(flow: &'static str, what: &'static str, t: &Tensor) -> Result<()> {
    if mvl_manifold::all_finite(t) {
        return Ok(());
    }
    let bad = t.detach().isfinite().logical_not();
    let bad_rows = if bad.dim() > 1 {
        bad.flatten(1, -1).any_dim(1, false)
    } else {
        bad.shallow_clone()
    };
    let idx = bad_rows.nonzero();
    if idx.size()[0] == 0 {
        return Ok(());
    }
    let row = idx.int64_value(&[0, 0]);
    let values = t.detach().get(row).flatten(0, -1).to_kind(Kind::Double);
    let first = values
        .isfinite()
        .logical_not()
        .nonzero()
        .int64_value(&[0, 0]);
    Err(FlowError::NonFinite {
        flow,
        what,
        row,
        value: values.double_value(&[first]),
    })
}

/// Fails with [`FlowError::NonFinite`] if the points of a finished step are not finite (an
/// overflow in the move), and returns the step otherwise.
pub(crate) fn finished(flow: &'static str, step: Step) -> Result<Step> {
    ensure_finite(flow, "next point", &step.next)?;
    Ok(step)
}

/// Checks that a batch is floating point with shape `[b, n]`, b ≥ 1 and, when given,
/// `n == dim`.
pub(crate) fn check_batch(what: &'static str, x: &Tensor, dim: Option<i64>) -> Result<()> {
    if !x.is_floating_point() {
        return Err(FlowError::UnsupportedKind {
            what,
            got: x.kind(),
        });
    }
    let size = x.size();
    let ok = size.len() == 2 && size[0] >= 1 && dim.is_none_or(|d| size[1] == d);
    if ok {
        Ok(())
    } else {
        Err(FlowError::ShapeMismatch {
            what,
            expected: dim.map_or("[b, n], b >= 1".to_owned(), |d| format!("[b, {d}], b >= 1")),
            got: size,
        })
    }
}

/// The builder methods of a flow's [`StepRule`] stored at `self.<field path>`: `energy_scale`,
/// `rescaled` (documented with the given rescaling norm) and `rule`.
macro_rules! step_rule_builders {
    ($($field:ident).+, $norm:literal) => {
        /// Targets q^s (finite s > 0); minimum velocity learning uses s = 0.5.
        pub fn energy_scale(mut self, s: f64) -> $crate::Result<Self> {
            self.$($field).+ = self.$($field).+.with_scale(s)?;
            Ok(self)
        }

        #[doc = concat!("Per-row step rescaling εᵢ = ε / max(1, ", $norm, ") with no gradient through εᵢ.")]
        pub fn rescaled(mut self, rescale: bool) -> Self {
            self.$($field).+ = self.$($field).+.with_rescale(rescale);
            self
        }

        /// The step-size rule.
        pub fn rule(&self) -> $crate::StepRule {
            self.$($field).+
        }
    };
}

/// The `bandwidth` builder and `bandwidth_rule` getter of a kernel-based flow with a
/// `bandwidth` field.
macro_rules! bandwidth_builder {
    () => {
        /// The kernel bandwidth (default: the median heuristic); a fixed one must be finite and
        /// > 0, otherwise [`crate::FlowError::InvalidParameter`] names it.
        pub fn bandwidth(mut self, bandwidth: $crate::kernel::Bandwidth) -> $crate::Result<Self> {
            self.bandwidth = bandwidth.validated()?;
            Ok(self)
        }

        /// The kernel bandwidth rule.
        pub fn bandwidth_rule(&self) -> $crate::kernel::Bandwidth {
            self.bandwidth
        }
    };
}

pub(crate) use {bandwidth_builder, step_rule_builders};
