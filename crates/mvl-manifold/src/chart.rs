//! Charts: coordinates on a manifold, with their metric, and densities pulled back through them.

use crate::energy::{Energy, differentiable, grad_of_sum};
use crate::metric::Metric;
use tch::Tensor;

/// A chart φ⁻¹: U ⊂ M → R^d with its inverse (`embed`) into the ambient space R^n, and the
/// Riemannian metric G(x) = JᵀJ that the embedding induces (J = ∂embed/∂x).
///
/// A chart value is built for a batch of points ([`crate::Manifold::chart_at`]) and may carry
/// per-row state (the sphere's choice of pole).
///
/// # Shapes
/// Ambient points `[b, n]`, chart points `[b, d]`, per-row scalars `[b]`.
pub trait Chart: std::fmt::Debug + Send {
    /// The chart dimension d.
    fn dim(&self) -> i64;

    /// Chart coordinates of ambient points (`[b, n]` → `[b, d]`).
    fn coords(&self, y: &Tensor) -> Tensor;

    /// Ambient points of chart coordinates (`[b, d]` → `[b, n]`).
    fn embed(&self, x: &Tensor) -> Tensor;

    /// The metric G(x). Default: the pull-back JᵀJ by autograd ([`autograd_metric`]).
    fn metric(&self, x: &Tensor) -> Metric {
        autograd_metric(self, x)
    }

    /// Σⱼ ∂ⱼ g^{ij}(x), the divergence of the inverse metric's rows (the drift correction of
    /// Riemannian Langevin dynamics, paper eq. 4 / 18). Default: autograd
    /// ([`autograd_inv_metric_div`]).
    fn inv_metric_div(&self, x: &Tensor) -> Tensor {
        autograd_inv_metric_div(self, x)
    }

    /// ½ log det G(x), `[b]`.
    fn half_log_det(&self, x: &Tensor) -> Tensor {
        self.metric(x).half_log_det()
    }

    /// ∇ₓ ½ log det G(x), `[b, d]`. Default: autograd of [`Chart::half_log_det`].
    fn half_log_det_grad(&self, x: &Tensor) -> Tensor {
        let x = differentiable(x);
        grad_of_sum(&self.half_log_det(&x), &x)
    }

    /// Whether `embed` and `coords` are the identity map (chart points are ambient points),
    /// so that the chart derivatives of E∘embed are the ambient derivatives of E. Default
    /// `false`; the charts of R^n and of the Poincaré ball say `true`. Exact score matching
    /// uses it to take an energy's Laplacian ([`crate::Energy::laplacian`]) for the
    /// Laplace-Beltrami operator of a conformal metric.
    fn is_identity_embedding(&self) -> bool {
        false
    }

    /// Whether G = I at every point (so that ½ log det G and Σⱼ∂ⱼg^{ij} vanish): then the
    /// flows skip those terms and the metric's inverse, which change no value there. Default
    /// `false`; the chart of R^n says `true`.
    fn is_flat(&self) -> bool {
        false
    }
}

/// The pull-back metric JᵀJ of `chart.embed` at `x`, by n backward passes (one per ambient
/// coordinate). Differentiable (built with `create_graph`).
pub fn autograd_metric<C: Chart + ?Sized>(chart: &C, x: &Tensor) -> Metric {
    Metric::Full(jacobian_gram(&|x: &Tensor| chart.embed(x), x))
}

/// JᵀJ of a map f: `[b, d]` → `[b, n]` at `x`, `[b, d, d]`.
fn jacobian_gram(f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    let x = differentiable(x);
    let y = f(&x);
    let n = y.size()[1];
    let rows: Vec<Tensor> = (0..n).map(|k| grad_of_sum(&y.select(1, k), &x)).collect();
    let jac = Tensor::stack(&rows, 1); // [b, n, d]
    jac.transpose(1, 2).matmul(&jac)
}

/// Σⱼ ∂ⱼ g^{ij} by autograd of `chart.metric`'s inverse (d² backward passes).
pub fn autograd_inv_metric_div<C: Chart + ?Sized>(chart: &C, x: &Tensor) -> Tensor {
    let x = differentiable(x);
    let inv = chart.metric(&x).matrix().inverse(); // [b, d, d]
    let d = x.size()[1];
    let cols: Vec<Tensor> = (0..d)
        .map(|i| {
            (0..d)
                .map(|j| grad_of_sum(&inv.select(1, i).select(1, j), &x).select(1, j))
                .fold(x.select(1, 0).zeros_like(), |acc, t| acc + t)
        })
        .collect();
    Tensor::stack(&cols, 1)
}

/// The chart energy of a manifold energy: E_chart(x) = E(embed(x)) − ½ log det G(x).
///
/// If E is the energy of a density q_H with respect to the Riemannian (Hausdorff) volume, the
/// chart density with respect to Lebesgue measure is q_H·√det G, whose energy is this one
/// (paper §2.3, eq. 3). The sign is the one of the authors' code; the paper's printed eq. (4)
/// and (18) have the opposite sign, which is wrong (paper-spec §2.3).
#[derive(Debug)]
pub struct ChartEnergy<'a, C: ?Sized> {
    energy: &'a dyn Energy,
    chart: &'a C,
}

impl<'a, C: Chart + ?Sized> ChartEnergy<'a, C> {
    /// The chart energy of `energy` (defined on ambient points) through `chart`.
    pub fn new(energy: &'a dyn Energy, chart: &'a C) -> Self {
        Self { energy, chart }
    }
}

impl<C: Chart + ?Sized> Energy for ChartEnergy<'_, C> {
    fn energy(&self, x: &Tensor) -> Tensor {
        self.energy.energy(&self.chart.embed(x)) - self.chart.half_log_det(x)
    }

    fn input_dim(&self) -> Option<i64> {
        Some(self.chart.dim())
    }
}
