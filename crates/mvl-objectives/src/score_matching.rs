//! Exact score matching (Hyvärinen 2005), Euclidean and Riemannian: the ground truth.

use crate::error::Result;
use crate::objective::{Objective, check_batch, sum_over_hessian_rows};
use mvl_manifold::differentiable;
use mvl_manifold::row_dot;
use mvl_manifold::{Chart, Energy, Euclidean, Manifold, Metric};
use tch::Tensor;

/// Exact score matching on a manifold `M`, per sample
///
/// J(x) = ½|∇E|²_g − Δ_g E,
///
/// with the Riemannian gradient norm |∇E|²_g = ∂E·G⁻¹∂E and the Laplace-Beltrami operator
/// Δ_g E = g^{ij}∂ᵢ∂ⱼE + (∂ᵢg^{ij})∂ⱼE + g^{ij}∂ⱼE ∂ᵢ log√|G| in the chart picked for each point
/// (both are chart-independent). In R^n this is the Hyvärinen objective ½|∇E|² − ΔE (paper
/// eq. 7); on a manifold it is the Riemannian score-matching objective that Riemannian MVL
/// estimates (paper §4.1, eq. 17; paper-spec §2.3). Its mean is J_SM = D_F(p‖q) − const.
///
/// The Laplacian costs one backward pass per dimension (with `create_graph`, so the
/// objective can be trained): use it as ground truth and for small d. Energies that provide
/// [`Energy::laplacian`] (e.g. [`mvl_manifold::MlpEnergy`]'s forward Laplacian) skip that
/// loop wherever the chart embeds by the identity with a conformal metric (R^n, the Poincaré
/// ball), where g^{ij}∂ᵢ∂ⱼE = ΔE/λ for G = λI; on other charts (the sphere's) the loop
/// stays.
///
/// ```
/// use mvl_manifold::{FnEnergy, Sphere};
/// use mvl_objectives::{Objective, ScoreMatching};
/// use tch::Tensor;
/// // E(y) = −2 y₂ on S^1 at y = (cos t, sin t): J(t) = 2 cos² t − 2 sin t (paper-spec §2.8).
/// let energy = FnEnergy::new(|y: &Tensor| y.select(1, 1) * -2.0);
/// let t = 0.3f64;
/// let y = Tensor::from_slice(&[t.cos(), t.sin()]).view([1, 2]);
/// let j = ScoreMatching::new(Sphere::new(1)?).per_sample(&energy, &y)?.double_value(&[0]);
/// assert!((j - (2.0 * t.cos().powi(2) - 2.0 * t.sin())).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScoreMatching<M> {
    manifold: M,
}

impl<M: Manifold> ScoreMatching<M> {
    /// Exact (Riemannian) score matching on `manifold`; data rows are ambient points on it.
    pub fn new(manifold: M) -> Self {
        Self { manifold }
    }
}

impl ScoreMatching<Euclidean> {
    /// Exact score matching in R^d.
    pub fn euclidean(d: i64) -> Result<Self> {
        Ok(Self::new(Euclidean::new(d)?))
    }
}

impl<M: Manifold> Objective for ScoreMatching<M> {
    fn name(&self) -> &'static str {
        "exact SM"
    }

    fn per_sample(&self, energy: &dyn Energy, y: &Tensor) -> Result<Tensor> {
        check_batch(self.name(), energy, y)?;
        self.manifold.check_points(y)?;
        let chart = self.manifold.chart_at(y);
        let x = chart.coords(&y.detach());
        let metric = chart.metric(&x);
        let (grad, hessian_term) = match by_forward_laplacian(energy, &chart, &metric, &x) {
            Some(terms) => terms,
            None => by_hessian_rows(energy, &chart, &metric, &x),
        };
        let inv_grad = metric.inverse_apply(&grad);
        let laplace_beltrami = hessian_term
            + row_dot(&chart.inv_metric_div(&x), &grad)
            + row_dot(&inv_grad, &chart.half_log_det_grad(&x));
        Ok(row_dot(&grad, &inv_grad) / 2.0 - laplace_beltrami)
    }
}

/// (∇ₓE, g^{ij}∂ᵢ∂ⱼE) in one pass from the energy's [`Energy::laplacian`], where the chart
/// allows it: the chart embeds by the identity (so chart derivatives are the energy's own)
/// and the metric is conformal, G = λI, so that g^{ij}∂ᵢ∂ⱼE = ΔE/λ. `None` otherwise, or when
/// the energy has no Laplacian.
fn by_forward_laplacian<C: Chart>(
    energy: &dyn Energy,
    chart: &C,
    metric: &Metric,
    x: &Tensor,
) -> Option<(Tensor, Tensor)> {
    let Metric::Conformal { factor, .. } = metric else {
        return None;
    };
    if !chart.is_identity_embedding() {
        return None;
    }
    let second = energy.laplacian(x)?;
    Some((second.grad, second.laplacian / factor))
}

/// (∇ₓE, g^{ij}∂ᵢ∂ⱼE) by autograd: the gradient through the embedding, then one backward
/// pass per chart coordinate for the Hessian's rows (with `create_graph`).
fn by_hessian_rows<C: Chart>(
    energy: &dyn Energy,
    chart: &C,
    metric: &Metric,
    x: &Tensor,
) -> (Tensor, Tensor) {
    let x = differentiable(x);
    let value = energy.energy(&chart.embed(&x));
    let grad = mvl_manifold::grad_of_sum(&value, &x);
    let hessian_term =
        sum_over_hessian_rows(&grad, &x, |j, row| metric.inverse_apply(row).select(1, j));
    (grad, hessian_term)
}
