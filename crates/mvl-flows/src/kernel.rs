//! The Gaussian (RBF) kernel of the particle flows: SVGD's direction and the birth-death
//! density estimate.
//!
//! k(a, b) = exp(−|a − b|²/(2h)), with h either fixed or from the median heuristic of the
//! authors' `svgd.py` (paper-spec §2.4; Liu & Wang 2016, "Stein Variational Gradient
//! Descent", §5).

use crate::error::{FlowError, Result};
use mvl_manifold::row_norm_sq;
use tch::Tensor;

/// The smallest median-heuristic bandwidth (paper-spec §9.3).
pub const MIN_BANDWIDTH: f64 = 1e-5;

/// The bandwidth h of the kernel k(a, b) = exp(−|a − b|²/(2h)).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Bandwidth {
    /// h = max(10⁻⁵, ½·m / log(B + 1)) with m the median of all B² pairwise squared
    /// distances of the batch (zero diagonal included; the lower median), recomputed at every
    /// step and never differentiated (paper-spec §2.4).
    #[default]
    Median,
    /// A fixed h (finite, > 0; checked by [`Bandwidth::validated`]).
    Fixed(f64),
}

impl Bandwidth {
    /// `self`, or [`FlowError::InvalidParameter`] for a fixed h that is not finite and > 0.
    pub fn validated(self) -> Result<Self> {
        match self {
            Bandwidth::Fixed(h) if !(h.is_finite() && h > 0.0) => {
                Err(FlowError::InvalidParameter {
                    name: "bandwidth",
                    value: h,
                    reason: "must be finite and > 0",
                })
            }
            other => Ok(other),
        }
    }

    /// h for a batch with pairwise squared distances `sq` (`[B, B]`), as a 0-dim tensor of
    /// `sq`'s dtype and device (no gradient).
    pub fn resolve(&self, sq: &Tensor) -> Tensor {
        match self {
            Bandwidth::Median => {
                let b = sq.size()[0] as f64;
                (sq.detach().median() * (0.5 / (b + 1.0).ln())).clamp_min(MIN_BANDWIDTH)
            }
            Bandwidth::Fixed(h) => Tensor::from(*h).to_kind(sq.kind()).to_device(sq.device()),
        }
    }
}

/// Pairwise squared distances |aᵢ − bⱼ|², `[B, B']`, through |a|² + |b|² − 2aᵀb (one matrix
/// product; clamped at 0 against rounding).
///
/// # Shapes
/// `a`: `[B, d]`, `b`: `[B', d]`.
pub fn sq_distances(a: &Tensor, b: &Tensor) -> Tensor {
    let cross = a.matmul(&b.transpose(0, 1));
    (row_norm_sq(a).unsqueeze(1) + row_norm_sq(b).unsqueeze(0) - cross * 2.0).clamp_min(0.0)
}

/// The kernel matrix Kᵢⱼ = k(xᵢ, x̄ⱼ) between the batch and its detached copy x̄ (the second
/// argument is stop-gradient, as in the authors' code), with its bandwidth.
///
/// # Shapes
/// `x`: `[B, d]`; `matrix`: `[B, B]`; `bandwidth`: `[]`.
#[derive(Debug)]
pub struct RbfKernel {
    /// Kᵢⱼ.
    pub matrix: Tensor,
    /// h (no gradient).
    pub bandwidth: Tensor,
}

impl RbfKernel {
    /// The kernel of the batch `x` with bandwidth rule `bandwidth`.
    pub fn new(x: &Tensor, bandwidth: Bandwidth) -> Self {
        let sq = sq_distances(x, &x.detach());
        let h = bandwidth.resolve(&sq);
        let matrix = (-sq / (&h * 2.0)).exp();
        Self {
            matrix,
            bandwidth: h,
        }
    }
}

/// The SVGD direction (Liu & Wang 2016, eq. 8; paper-spec §2.4)
/// φ(xᵢ) = (1/B) Σⱼ [k(xⱼ, xᵢ)·scoreⱼ + ∇_{xⱼ}k(xⱼ, xᵢ)]
///       = (1/B) [Σⱼ Kᵢⱼ scoreⱼ + Σⱼ Kᵢⱼ (xᵢ − xⱼ)/h],
/// the first (attractive) sum pulling particles up the target's log-density `score`, the
/// second repelling them from each other. Differentiable through `score` (and through the
/// kernel's first argument).
///
/// # Shapes
/// `x`, `score`: `[B, d]`; result `[B, d]`.
///
/// ```
/// use mvl_flows::kernel::{Bandwidth, svgd_direction};
/// use tch::Tensor;
/// // One particle: no repulsion, the direction is its own score.
/// let x = Tensor::from_slice(&[0.3f64, -0.2]).view([1, 2]);
/// let phi = svgd_direction(&x, &(-&x), Bandwidth::Fixed(1.0));
/// assert!((phi + &x).abs().max().double_value(&[]) < 1e-15);
/// ```
pub fn svgd_direction(x: &Tensor, score: &Tensor, bandwidth: Bandwidth) -> Tensor {
    let k = RbfKernel::new(x, bandwidth);
    let b = x.size()[0] as f64;
    let attract = k.matrix.matmul(score);
    let repulse = x * k.matrix.sum_dim_intlist(1, true, x.kind()) - k.matrix.matmul(&x.detach());
    (attract + repulse / &k.bandwidth) / b
}

/// log K̂(xᵢ) = log (1/B) Σⱼ exp(−|xᵢ − xⱼ|²/(2h)), the Gaussian kernel density estimate of
/// the batch at its own points up to the constant −(d/2) log 2πh (it cancels in the
/// birth-death rates). No gradient.
///
/// # Shapes
/// `x`: `[B, d]`; result `[B]`.
pub fn log_kde(x: &Tensor, bandwidth: Bandwidth) -> Tensor {
    let x = x.detach();
    let sq = sq_distances(&x, &x);
    let h = bandwidth.resolve(&sq);
    (-sq / (h * 2.0)).logsumexp(1, false) - (x.size()[0] as f64).ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlowError;
    use mvl_manifold::grad_of_sum;
    use mvl_manifold::max_abs;
    use tch::{Device, Kind};

    const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

    /// φ against the definition, one pair at a time, with ∇_{xⱼ}k(xⱼ, xᵢ) by autograd.
    #[test]
    fn svgd_direction_matches_the_definition() {
        let _seed = mvl_manifold::testing::seeded(31);
        let (b, d) = (5, 3);
        let x = Tensor::randn([b, d], F64);
        let score = Tensor::randn([b, d], F64);
        let h = 0.7;
        let phi = svgd_direction(&x, &score, Bandwidth::Fixed(h));
        for i in 0..b {
            let mut sum = Tensor::zeros([d], F64);
            for j in 0..b {
                let xj = x.get(j).detach().set_requires_grad(true);
                let k = (-(&xj - x.get(i)).square().sum(Kind::Double) / (2.0 * h)).exp();
                let dk = grad_of_sum(&k, &xj);
                sum = sum + k.detach() * score.get(j) + dk;
            }
            assert!(max_abs(&(phi.get(i) - sum / b as f64)) < 1e-14, "row {i}");
        }
    }

    /// The median heuristic against a direct computation of the lower median of all B²
    /// squared distances: h = ½·m/log(B + 1) (paper-spec §2.4), and its floor 10⁻⁵.
    #[test]
    fn median_bandwidth_and_floor() {
        let _seed = mvl_manifold::testing::seeded(32);
        let b = 6;
        let x = Tensor::randn([b, 2], F64);
        let rows: Vec<Vec<f64>> = Vec::try_from(&x).expect("2-d");
        let mut sq: Vec<f64> = rows
            .iter()
            .flat_map(|a| {
                rows.iter()
                    .map(move |c| (a[0] - c[0]).powi(2) + (a[1] - c[1]).powi(2))
            })
            .collect();
        sq.sort_by(f64::total_cmp);
        let m = sq[(sq.len() - 1) / 2];
        let h = Bandwidth::Median
            .resolve(&sq_distances(&x, &x))
            .double_value(&[]);
        assert!((h - 0.5 * m / ((b + 1) as f64).ln()).abs() < 1e-12);
        let same = Tensor::ones([4, 2], F64);
        let floor = Bandwidth::Median.resolve(&sq_distances(&same, &same));
        assert_eq!(floor.double_value(&[]), MIN_BANDWIDTH);
    }

    #[test]
    fn log_kde_matches_the_definition() {
        let _seed = mvl_manifold::testing::seeded(33);
        let x = Tensor::randn([7, 2], F64);
        let h = 0.4;
        let got = log_kde(&x, Bandwidth::Fixed(h));
        for i in 0..7 {
            let k = (-(&x - x.get(i))
                .square()
                .sum_dim_intlist(1, false, Kind::Double)
                / (2.0 * h))
                .exp();
            let expected = (k.sum(Kind::Double) / 7.0).log();
            assert!((got.get(i) - expected).abs().double_value(&[]) < 1e-14);
        }
    }

    #[test]
    fn invalid_bandwidth_names_the_value() {
        for bad in [0.0, -0.5, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Bandwidth::Fixed(bad).validated(),
                Err(FlowError::InvalidParameter { name: "bandwidth", value, .. }) if value.is_nan() || value == bad
            ));
        }
        assert_eq!(Bandwidth::Fixed(0.3).validated(), Ok(Bandwidth::Fixed(0.3)));
        assert_eq!(Bandwidth::Median.validated(), Ok(Bandwidth::Median));
    }
}
