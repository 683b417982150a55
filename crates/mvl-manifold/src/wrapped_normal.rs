//! Mixtures of isotropic wrapped normal distributions on the Poincaré disk.

use crate::distribution::{TensorDistribution, floating_kind, to_options};
use crate::error::{ManifoldError, Result};
use crate::manifold::Manifold;
use crate::metric::row_norm_sq;
use crate::mixture::check_weights;
use crate::poincare::PoincareBall;
use crate::von_mises_fisher::host_values;
use tch::{Device, Kind, Tensor};

/// A mixture Σ_k w_k WN(μ_k, σ_k²) of isotropic wrapped normal distributions on the
/// hyperbolic plane H² in the Poincaré disk (curvature −1).
///
/// Component k: x = μ_k ⊕ exp₀(u/2) with u ~ N(0, σ_k² I₂) (⊕ Möbius addition; exp₀(u/2) is
/// the point at geodesic distance |u| from the origin in the direction of u). Left Möbius
/// translations are isometries, so the geodesic distance of x to μ_k is ρ = |u|, and the
/// density with respect to the hyperbolic area is N₂(u; 0, σ_k²I)·ρ/sinh ρ: in geodesic
/// polar coordinates the area element is sinh ρ dρ dφ and the Euclidean one ρ dρ dφ (the
/// wrapped normal of Nagano et al., "A Wrapped Normal Distribution on Hyperbolic Space for
/// Gradient-Based Learning", ICML 2019, in dimension 2).
///
/// Samples and log-densities follow [`TensorDistribution`]: in the kind and on the device of
/// the centres given to [`Self::new`]; samples are computed in f64.
///
/// # Shapes
/// `centres` `[K, 2]`, `sigmas` and `weights` `[K]`; samples `[n, 2]`; `log_prob` `[N, 2]` →
/// `[N]`.
///
/// ```
/// use mvl_manifold::{TensorDistribution, WrappedNormalMixture};
/// use tch::Tensor;
/// let mix = WrappedNormalMixture::new(
///     &Tensor::from_slice(&[0.5f64, 0.0, -0.5, 0.0]).view([2, 2]),
///     &Tensor::from_slice(&[0.3f64, 0.6]),
///     &Tensor::from_slice(&[1.0f64, 1.0]),                    // normalised to (½, ½)
/// )?;
/// tch::manual_seed(0);
/// let x = mix.sample(100);
/// assert_eq!(x.size(), vec![100, 2]);
/// assert!(mix.log_prob(&x).isfinite().all().int64_value(&[]) == 1);
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
#[derive(Debug)]
pub struct WrappedNormalMixture {
    ball: PoincareBall,
    centres: Vec<[f64; 2]>,
    sigmas: Vec<f64>,
    weights: Vec<f64>,
    options: (Kind, Device),
}

impl WrappedNormalMixture {
    /// The mixture with centres `centres` (rows inside the unit disk), scales `sigmas` (> 0)
    /// and weights proportional to `weights`.
    ///
    /// Errors: `ShapeMismatch` for other shapes; `OffManifold` (naming the row) for a centre
    /// with norm ≥ 1 or a non-finite one; `InvalidArgument` for a σ that is not finite and
    /// > 0; `InvalidWeights` as [`crate::VmfMixture::new`].
    pub fn new(centres: &Tensor, sigmas: &Tensor, weights: &Tensor) -> Result<Self> {
        let ball = PoincareBall::new(2)?;
        let k = centres.size().first().copied().unwrap_or(0);
        ball.check_points(centres)?;
        if sigmas.size() != [k] {
            return Err(ManifoldError::ShapeMismatch {
                what: "WrappedNormalMixture sigmas",
                expected: format!("[{k}]"),
                got: sigmas.size(),
            });
        }
        let sigmas = host_values(sigmas);
        if let Some(&s) = sigmas.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(ManifoldError::InvalidArgument {
                name: "sigma",
                value: s,
                reason: "must be finite and > 0",
            });
        }
        let (w, total) = check_weights("WrappedNormalMixture weights", weights, k)?;
        let xy = host_values(centres);
        Ok(Self {
            ball,
            centres: xy.chunks(2).map(|c| [c[0], c[1]]).collect(),
            sigmas,
            weights: w.iter().map(|w| w / total).collect(),
            options: (floating_kind(centres), centres.device()),
        })
    }

    /// The number of components K.
    pub fn num_components(&self) -> usize {
        self.weights.len()
    }

    /// ln N₂(u; 0, σ_k²I) + ln ρ − ln sinh ρ with ρ the distance of `y` to μ_k, `[N]`.
    fn component_log_prob(&self, k: usize, y: &Tensor) -> Tensor {
        let mu = Tensor::from_slice(&self.centres[k])
            .to_kind(y.kind())
            .to_device(y.device())
            .unsqueeze(0);
        let rho = self.ball.dist(&mu.expand_as(y), y).clamp_min(1e-12);
        let s2 = self.sigmas[k].powi(2);
        -rho.square() / (2.0 * s2) - (2.0 * std::f64::consts::PI * s2).ln() + rho.log()
            - rho.sinh().log()
    }
}

/// Samples: component indices from the weights (libtorch's multinomial), u ~ N(0, σ²I) and
/// x = μ ⊕ exp₀(u/2), in f64 on the mixture's device, projected into the disk.
impl TensorDistribution for WrappedNormalMixture {
    fn options(&self) -> (Kind, Device) {
        self.options
    }

    fn sample(&self, n: i64) -> Tensor {
        let (kind, device) = self.options;
        if n <= 0 {
            return Tensor::zeros([0, 2], self.options);
        }
        let host = |v: &[f64]| Tensor::from_slice(v).to_device(device);
        let comp = host(&self.weights).multinomial(n, true);
        let centres = host(&self.centres.concat())
            .view([-1, 2])
            .index_select(0, &comp);
        let sigmas = host(&self.sigmas).index_select(0, &comp).unsqueeze(-1);
        let u = Tensor::randn([n, 2], (Kind::Double, device)) * sigmas;
        let rho = row_norm_sq(&u).sqrt().unsqueeze(-1).clamp_min(1e-300);
        let at_origin = &u * ((&rho / 2.0).tanh() / &rho);
        let x = self.ball.mobius_add(&centres, &at_origin);
        self.ball.project(&x).to_kind(kind)
    }

    fn log_prob(&self, y: &Tensor) -> Tensor {
        let y = to_options(y, self.options);
        let parts: Vec<Tensor> = (0..self.weights.len())
            .map(|k| self.component_log_prob(k, &y) + self.weights[k].ln())
            .collect();
        Tensor::stack(&parts, 1).logsumexp([1], false)
    }
}

#[cfg(test)]
mod tests;
