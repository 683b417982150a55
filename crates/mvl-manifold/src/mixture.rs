//! Finite mixtures of von Mises–Fisher distributions, with EM fitting.

mod em;

use crate::distribution::{TensorDistribution, to_options};
use crate::energy::Energy;
use crate::error::{ManifoldError, Result};
use crate::von_mises_fisher::{VonMisesFisher, host_values};
use tch::{Device, Kind, Tensor};

/// The largest concentration the EM fit assigns (a component on one point would otherwise
/// collapse to κ = ∞).
pub const EM_KAPPA_MAX: f64 = 1e6;

/// A mixture Σ_k w_k vMF(μ_k, κ_k) of K von Mises–Fisher components on S^{m−1} ⊂ R^m.
///
/// # Shapes
/// `locs` `[K, m]`, `kappas` and `weights` `[K]`; points `[N, m]`; `log_prob` `[N]`.
///
/// ```
/// use mvl_manifold::{TensorDistribution, VmfMixture};
/// use tch::Tensor;
/// let locs = Tensor::from_slice(&[1.0f64, 0.0, 0.0, -1.0, 0.0, 0.0]).view([2, 3]);
/// let kappas = Tensor::from_slice(&[5.0f64, 20.0]);
/// let weights = Tensor::from_slice(&[3.0f64, 1.0]);          // normalised to (0.75, 0.25)
/// let mix = VmfMixture::new(&locs, &kappas, &weights)?;
/// tch::manual_seed(1);
/// let x = mix.sample(4000);                                    // [4000, 3]
/// let fitted = VmfMixture::fit_em(&x, 2, 100, 7)?;
/// let w = fitted.weights();
/// let big = w.max().double_value(&[]);
/// assert!((big - 0.75).abs() < 0.05);
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
#[derive(Debug)]
pub struct VmfMixture {
    components: VonMisesFisher,
    log_weights: Tensor,
}

/// The weights as host values and their total, after checking that `weights` is `[k]` with
/// finite entries ≥ 0 summing to a positive number (`ShapeMismatch` naming `what`, else
/// `InvalidWeights`).
pub(crate) fn check_weights(
    what: &'static str,
    weights: &Tensor,
    k: i64,
) -> Result<(Vec<f64>, f64)> {
    if weights.size() != [k] {
        return Err(ManifoldError::ShapeMismatch {
            what,
            expected: format!("[{k}]"),
            got: weights.size(),
        });
    }
    let w = host_values(weights);
    let total: f64 = w.iter().sum();
    if w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || !(total > 0.0 && total.is_finite()) {
        return Err(ManifoldError::InvalidWeights(w));
    }
    Ok((w, total))
}

impl VmfMixture {
    /// The mixture of vMF(locs\[k\], kappas\[k\]) with weights proportional to `weights` (cast to
    /// the kind and device of `locs`).
    ///
    /// Errors: as [`VonMisesFisher::new`] for the components; `ShapeMismatch` when `weights` is
    /// not `[K]`; `InvalidWeights` (carrying the weights) when one is negative or non-finite or
    /// all are zero.
    pub fn new(locs: &Tensor, kappas: &Tensor, weights: &Tensor) -> Result<Self> {
        let components = VonMisesFisher::new(locs, kappas)?;
        let (_, total) = check_weights("VmfMixture weights", weights, components.batch_size())?;
        let kind = components.loc().kind();
        let log_weights =
            (weights.to_kind(kind).to_device(components.loc().device()) / total).log();
        Ok(Self {
            components,
            log_weights,
        })
    }

    /// The components as one batched [`VonMisesFisher`] (b = K).
    pub fn components(&self) -> &VonMisesFisher {
        &self.components
    }

    /// The normalised weights, `[K]`.
    pub fn weights(&self) -> Tensor {
        self.log_weights.exp()
    }

    /// The log weights, `[K]` (−∞ for a zero weight).
    pub fn log_weights(&self) -> &Tensor {
        &self.log_weights
    }

    /// The number of components K.
    pub fn num_components(&self) -> i64 {
        self.components.batch_size()
    }

    /// The ambient dimension m.
    pub fn dim(&self) -> i64 {
        self.components.dim()
    }

    /// (κ_k μ_k as columns `[m, K]`, ln w_k + ln C_m(κ_k) `[K]`): ln w_k + ln vMF_k(x) is
    /// xᵀ(κ_k μ_k) + the second part.
    fn logit_parts(&self) -> (Tensor, Tensor) {
        let c = &self.components;
        let natural = c.concentration().unsqueeze(-1) * c.loc(); // κ_k μ_k, [K, m]
        (
            natural.transpose(0, 1),
            &self.log_weights + c.log_normalizer(),
        )
    }

    /// ln w_k + ln vMF_k(x) for every point and component, `[N, K]`.
    pub fn component_log_probs(&self, x: &Tensor) -> Tensor {
        let (natural, bias) = self.logit_parts();
        bias.unsqueeze(0).addmm(x, &natural)
    }

    /// The posterior component probabilities P(k | x), `[N, K]`.
    pub fn responsibilities(&self, x: &Tensor) -> Tensor {
        self.component_log_probs(x).softmax(1, x.kind())
    }
}

/// Samples `[n, m]`: component indices from the weights (libtorch's multinomial), then one
/// draw from each chosen component. `log_prob(x)` = ln Σ_k w_k vMF_k(x) (log-sum-exp over
/// components), `[N, m]` → `[N]`.
impl TensorDistribution for VmfMixture {
    fn options(&self) -> (Kind, Device) {
        self.components.options()
    }

    fn sample(&self, n: i64) -> Tensor {
        if n <= 0 {
            return Tensor::zeros([0, self.dim()], self.options());
        }
        let idx = self.weights().to_kind(Kind::Double).multinomial(n, true);
        let c = &self.components;
        let picked = VonMisesFisher::from_unit(
            c.loc().index_select(0, &idx),
            c.concentration().index_select(0, &idx),
        );
        picked.sample(1).squeeze_dim(0)
    }

    fn log_prob(&self, x: &Tensor) -> Tensor {
        let x = to_options(x, self.options());
        self.component_log_probs(&x).logsumexp([1], false)
    }
}

/// E(x) = −ln Σ_k w_k vMF_k(x), with the closed-form gradient −Σ_k P(k|x) κ_k μ_k.
///
/// # Shapes
/// `x`: `[N, m]`; energies `[N]`, gradients `[N, m]`.
impl Energy for VmfMixture {
    fn energy(&self, x: &Tensor) -> Tensor {
        -self.log_prob(x)
    }

    fn grad(&self, x: &Tensor) -> Tensor {
        self.energy_and_grad(x).1
    }

    fn energy_and_grad(&self, x: &Tensor) -> (Tensor, Tensor) {
        let logits = self.component_log_probs(x);
        let energy = -logits.logsumexp([1], false);
        let c = &self.components;
        let natural = c.concentration().unsqueeze(-1) * c.loc();
        let grad = -logits.softmax(1, x.kind()).matmul(&natural);
        (energy, grad)
    }

    fn input_dim(&self) -> Option<i64> {
        Some(self.dim())
    }
}

#[cfg(test)]
mod tests;
