//! The uniform distribution on the sphere S^n ⊂ R^{n+1}.

use crate::bessel::ln_gamma;
use crate::distribution::TensorDistribution;
use crate::error::Result;
use crate::manifold::check_dim;
use crate::metric::row_norm_sq;
use tch::{Device, Kind, Tensor};

/// ln|S^n|, the log surface area of the unit sphere S^n ⊂ R^{n+1}:
/// |S^n| = 2π^{(n+1)/2}/Γ((n+1)/2) (DLMF §5.19(iii); paper-spec §7.2). NaN for n < 0.
pub fn log_sphere_area(n: i64) -> f64 {
    if n < 0 {
        return f64::NAN;
    }
    let h = 0.5 * (n + 1) as f64;
    std::f64::consts::LN_2 + h * std::f64::consts::PI.ln() - ln_gamma(h)
}

/// The uniform (normalised Hausdorff) distribution on S^n ⊂ R^{n+1}, n ≥ 1.
///
/// Samples are normalised standard normal vectors (Muller 1959); the density with respect to
/// the surface measure is 1/|S^n| (paper-spec §7.2). Samples and log-densities are f64 on the
/// CPU unless [`Self::with_options`] chooses otherwise ([`TensorDistribution`]).
///
/// # Shapes
/// Samples `[b, n+1]`; `log_prob` maps `[..., n+1]` to `[...]`.
///
/// ```
/// use mvl_manifold::{HypersphericalUniform, TensorDistribution};
/// let u = HypersphericalUniform::new(2)?;          // S² ⊂ R³
/// assert!((u.entropy() - (4.0 * std::f64::consts::PI).ln()).abs() < 1e-14);
/// let x = u.sample(5);
/// assert_eq!(x.size(), vec![5, 3]);
/// let lp = u.log_prob(&x);
/// assert!((lp.double_value(&[0]) + u.entropy()).abs() < 1e-14);
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HypersphericalUniform {
    n: i64,
    options: (Kind, Device),
}

impl HypersphericalUniform {
    /// The uniform distribution on S^n (intrinsic dimension n ≥ 1, ambient n + 1), f64 on
    /// the CPU.
    pub fn new(n: i64) -> Result<Self> {
        check_dim("HypersphericalUniform", n, 1)?;
        Ok(Self {
            n,
            options: (Kind::Double, Device::Cpu),
        })
    }

    /// The same distribution with samples and log-densities in `options`, whose kind must be
    /// a floating one (libtorch's `randn` panics on integer kinds).
    pub fn with_options(self, options: (Kind, Device)) -> Self {
        Self { options, ..self }
    }

    /// The intrinsic dimension n.
    pub fn dim(&self) -> i64 {
        self.n
    }

    /// The ambient dimension n + 1 (the event size of samples).
    pub fn ambient_dim(&self) -> i64 {
        self.n + 1
    }

    /// The entropy ln|S^n| (the largest of any distribution on S^n).
    pub fn entropy(&self) -> f64 {
        log_sphere_area(self.n)
    }
}

/// Samples from libtorch's generator; `log_prob` is −ln|S^n| for every point.
impl TensorDistribution for HypersphericalUniform {
    fn options(&self) -> (Kind, Device) {
        self.options
    }

    fn sample(&self, b: i64) -> Tensor {
        let g = Tensor::randn([b.max(0), self.n + 1], self.options);
        // A standard normal vector is zero with probability 0; clamp only guards the division.
        let norm = row_norm_sq(&g).sqrt().clamp_min(f64::MIN_POSITIVE);
        g / norm.unsqueeze(-1)
    }

    fn log_prob(&self, x: &Tensor) -> Tensor {
        let size = x.size();
        let batch = &size[..size.len().saturating_sub(1)];
        Tensor::full(batch, -self.entropy(), self.options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManifoldError;
    use crate::metric::max_abs;

    #[test]
    fn log_areas_match_reference_values() {
        // paper-spec §7.2 (six decimals).
        let reference = [
            (1, 1.837877),
            (2, 2.531024),
            (8, 3.390695),
            (16, 0.874084),
            (32, -9.696564),
            (64, -41.924317),
        ];
        for (n, value) in reference {
            assert!((log_sphere_area(n) - value).abs() < 5e-7, "n = {n}");
        }
        // Closed forms: |S¹| = 2π, |S³| = 2π².
        assert!((log_sphere_area(1) - (2.0 * std::f64::consts::PI).ln()).abs() < 1e-14);
        let s3 = (2.0 * std::f64::consts::PI.powi(2)).ln();
        assert!((log_sphere_area(3) - s3).abs() < 1e-14);
    }

    #[test]
    fn rejects_dimension_zero() {
        let err = HypersphericalUniform::new(0).expect_err("S^0 is not supported");
        assert_eq!(
            err,
            ManifoldError::InvalidDimension {
                what: "HypersphericalUniform",
                min: 1,
                got: 0
            }
        );
    }

    #[test]
    fn samples_are_unit_and_centred() {
        let _seed = crate::testing::seeded(3);
        let u = HypersphericalUniform::new(4).expect("valid");
        let x = u.sample(20_000);
        assert!(max_abs(&(row_norm_sq(&x) - 1.0)) < 1e-14);
        // Each coordinate has mean 0 and variance 1/(n+1) = 0.2: the mean of 20 000 draws has
        // standard error sqrt(0.2/20000) = 0.0032; 5 s.e. = 0.016 (false alarm < 1e-5 per
        // coordinate).
        let mean = x.mean_dim(0, false, Kind::Double);
        assert!(max_abs(&mean) < 0.016);
        assert_eq!(u.log_prob(&x.view([100, 200, 5])).size(), vec![100, 200]);
    }
}
