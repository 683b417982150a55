//! The estimates of log ρ, the density of the data, in the birth-death rates of
//! [`crate::WassersteinFisherRao`].

use crate::error::{ObjectiveError, Result};
use mvl_flows::kernel::Bandwidth;
use mvl_flows::log_batch_density;
use mvl_manifold::bessel::log_ive_normalized;
use mvl_manifold::{Manifold, Sphere, log_sphere_area};
use std::fmt;
use tch::Tensor;

/// An estimate of log ρ, the density (with respect to the Riemannian volume) of the
/// distribution the batches come from, as the birth-death rates β = log ρ + ½E need it
/// (Lu, Lu & Nolen 2019, §3).
///
/// Implementations: [`VmfKde`] (a kernel density estimate of the training set on a sphere),
/// [`BatchKde`] (the batch's own estimate in one chart, as [`mvl_flows::BirthDeathLangevin`]
/// uses) and [`FnRateDensity`] (any function).
///
/// # Shapes
/// `y`: `[B, n]` ambient points; result `[B]`.
pub trait RateDensity: fmt::Debug + Send {
    /// log ρ̂ at the rows of `y`, up to an additive constant (the rates are centred, so it
    /// cancels). It carries no parameter gradient: the objective detaches it.
    fn log_density(&self, y: &Tensor) -> Result<Tensor>;
}

impl<D: RateDensity + ?Sized> RateDensity for Box<D> {
    fn log_density(&self, y: &Tensor) -> Result<Tensor> {
        (**self).log_density(y)
    }
}

/// The von Mises-Fisher kernel density estimate of points x₁..x_N on the sphere S^{m−1} ⊂ R^m
/// (any m ≥ 2), with respect to the surface measure (Mardia & Jupp 2000, §9.3.2 for C_m):
///
/// ρ̂(y) = (1/N) Σⱼ C_m(κ) exp(κ yᵀxⱼ),
///
/// computed as logsumexp κ(yᵀxⱼ − 1) + ln(C_m(κ)e^κ) − ln N, which cannot overflow, with
/// ln(C_m(κ)e^κ) = −ln|S^{m−1}| − [`mvl_manifold::bessel::log_ive_normalized`](m/2 − 1, κ),
/// which keeps its digits at any κ (κ + ln C_m(κ) would cancel completely by κ ≈ 10¹⁶).
///
/// ```
/// use mvl_objectives::{RateDensity, VmfKde};
/// use tch::Tensor;
/// // One kernel at the north pole of S²: ρ̂(μ) = C₃(κ) e^κ = κ/(2π(1 − e^{−2κ})).
/// let kde = VmfKde::new(&Tensor::from_slice(&[0.0f64, 0.0, 1.0]).view([1, 3]), 5.0)?;
/// let at_pole = kde.log_prob(&Tensor::from_slice(&[0.0f64, 0.0, 1.0]).view([1, 3]));
/// let exact = (5.0 / (2.0 * std::f64::consts::PI * (1.0 - (-10f64).exp()))).ln();
/// assert!((at_pole.double_value(&[0]) - exact).abs() < 1e-12);
/// # Ok::<(), mvl_objectives::ObjectiveError>(())
/// ```
#[derive(Debug)]
pub struct VmfKde {
    points: Tensor,
    kappa: f64,
    /// ln(C_m(κ) e^κ), the log-density of one kernel at its centre.
    log_mode_density: f64,
    sphere: Sphere,
}

impl VmfKde {
    /// The KDE of `points` (`[N, m]`, N ≥ 1, m ≥ 2, rows on the unit sphere, any dtype and
    /// device) with concentration κ (finite, ≥ 0; κ = 0 is the uniform density).
    pub fn new(points: &Tensor, kappa: f64) -> Result<Self> {
        if !(kappa.is_finite() && kappa >= 0.0) {
            return Err(ObjectiveError::InvalidParameter {
                name: "concentration",
                value: kappa,
                reason: "must be finite and >= 0",
            });
        }
        let size = points.size();
        if size.len() != 2 || size[0] < 1 || size[1] < 2 {
            return Err(ObjectiveError::ShapeMismatch {
                what: "vMF KDE points",
                expected: "[N, m], N >= 1, m >= 2".to_owned(),
                got: size,
            });
        }
        let sphere = Sphere::new(size[1] - 1)?;
        sphere.check_points(points)?;
        let m = sphere.ambient_dim();
        let log_mode_density =
            -log_ive_normalized(0.5 * m as f64 - 1.0, kappa) - log_sphere_area(m - 1);
        Ok(Self {
            points: points.detach(),
            kappa,
            log_mode_density,
            sphere,
        })
    }

    /// The concentration κ.
    pub fn kappa(&self) -> f64 {
        self.kappa
    }

    /// ln ρ̂(y), normalised, at `[M, m]` points (in `y`'s dtype and device; the kernel
    /// points are converted to them). Not checked to lie on the sphere. Precondition: a
    /// floating-point `[M, m]` batch (libtorch panics otherwise; [`RateDensity::log_density`]
    /// checks it with a typed error).
    pub fn log_prob(&self, y: &Tensor) -> Tensor {
        let points = self.points.to_kind(y.kind()).to_device(y.device());
        let dots = y.matmul(&points.transpose(0, 1));
        let n = dots.size()[1] as f64;
        ((dots - 1.0) * self.kappa).logsumexp([1], false) + (self.log_mode_density - n.ln())
    }
}

impl RateDensity for VmfKde {
    fn log_density(&self, y: &Tensor) -> Result<Tensor> {
        self.sphere.check_points(y)?;
        Ok(tch::no_grad(|| self.log_prob(y)))
    }
}

/// The batch's own density estimate, as the birth-death Langevin flow computes it
/// ([`mvl_flows::log_batch_density`]): a Gaussian kernel density estimate in one chart of the
/// batch, minus ½ log det G (a volume density), bandwidth from the [`Bandwidth`] rule (median
/// heuristic by default). Works on any manifold, R^d included.
///
/// ```
/// use mvl_manifold::Euclidean;
/// use mvl_objectives::{BatchKde, RateDensity};
/// use tch::Tensor;
/// // Three points, two of them together: the pair has the higher density estimate.
/// let y = Tensor::from_slice(&[0.0f64, 0.1, 3.0]).view([3, 1]);
/// let log_rho = BatchKde::new(Euclidean::new(1)?).log_density(&y)?;
/// assert!(log_rho.double_value(&[0]) > log_rho.double_value(&[2]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchKde<M> {
    manifold: M,
    bandwidth: Bandwidth,
}

impl<M: Manifold> BatchKde<M> {
    /// The batch KDE on `manifold` with the median bandwidth heuristic.
    pub fn new(manifold: M) -> Self {
        Self {
            manifold,
            bandwidth: Bandwidth::Median,
        }
    }

    /// The kernel bandwidth; a fixed one must be finite and > 0.
    pub fn bandwidth(mut self, bandwidth: Bandwidth) -> Result<Self> {
        self.bandwidth = bandwidth.validated()?;
        Ok(self)
    }
}

impl<M: Manifold> RateDensity for BatchKde<M> {
    fn log_density(&self, y: &Tensor) -> Result<Tensor> {
        self.manifold.check_points(y)?;
        Ok(log_batch_density(&self.manifold, y, self.bandwidth)?)
    }
}

/// A user-supplied log ρ: a function from `[B, n]` points to `[B]` values (up to a constant).
///
/// ```
/// use mvl_objectives::{FnRateDensity, RateDensity};
/// use tch::Tensor;
/// // The standard normal in R^d, up to a constant.
/// let normal = FnRateDensity::new(|y: &Tensor| y.square().sum_dim_intlist(1, false, y.kind()) * -0.5);
/// let y = Tensor::from_slice(&[1.0f64, 2.0]).view([1, 2]);
/// assert_eq!(normal.log_density(&y)?.double_value(&[0]), -2.5);
/// # Ok::<(), mvl_objectives::ObjectiveError>(())
/// ```
pub struct FnRateDensity<F>(F);

impl<F: Fn(&Tensor) -> Tensor + Send> FnRateDensity<F> {
    /// Wraps `f`.
    pub fn new(f: F) -> Self {
        Self(f)
    }
}

impl<F> fmt::Debug for FnRateDensity<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnRateDensity").finish_non_exhaustive()
    }
}

impl<F: Fn(&Tensor) -> Tensor + Send> RateDensity for FnRateDensity<F> {
    fn log_density(&self, y: &Tensor) -> Result<Tensor> {
        Ok((self.0)(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    /// On S² the KDE of one point at its own centre is C₃(κ)e^κ with the closed form
    /// C₃ = κ/(4π sinh κ), i.e. ln ρ̂ = ln κ − ln 2π − ln(1 − e^{−2κ}), for κ up to 5000 (the
    /// earth experiments' largest concentrations).
    #[test]
    fn sphere_kde_at_its_point_matches_the_closed_form() {
        let pole = Tensor::from_slice(&[0.0f64, 0.0, 1.0]).view([1, 3]);
        for kappa in [1e-3, 0.5, 3.0, 40.0, 700.0, 5000.0] {
            let kde = VmfKde::new(&pole, kappa).expect("valid");
            let got = kde.log_prob(&pole).double_value(&[0]);
            let closed =
                kappa.ln() - (2.0 * std::f64::consts::PI).ln() - (-(-2.0 * kappa).exp_m1()).ln();
            assert!(
                (got - closed).abs() < 1e-10 * closed.abs().max(1.0),
                "κ = {kappa}: {got} vs {closed}"
            );
        }
    }

    /// On S¹ the KDE of two points integrates to 1 (trapezoid rule over the angle, spectrally
    /// accurate for a smooth periodic integrand; independent of the Bessel functions).
    #[test]
    fn circle_kde_is_normalised() {
        let opts = (Kind::Double, Device::Cpu);
        let points = Tensor::from_slice(&[1.0f64, 0.0, 0.6, 0.8]).view([2, 2]);
        let kde = VmfKde::new(&points, 7.0).expect("valid");
        let n = 2000;
        let t = Tensor::arange(n, opts) * (2.0 * std::f64::consts::PI / n as f64);
        let y = Tensor::stack(&[t.cos(), t.sin()], 1);
        let integral = kde.log_prob(&y).exp().mean(Kind::Double) * (2.0 * std::f64::consts::PI);
        assert!((integral.double_value(&[]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bad_kde_parameters_are_reported() {
        let circle = Tensor::from_slice(&[1.0f64, 0.0]).view([1, 2]);
        for bad in [-1e-3, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                VmfKde::new(&circle, bad),
                Err(ObjectiveError::InvalidParameter { name: "concentration", value, .. })
                    if value.is_nan() || value == bad
            ));
        }
        // κ = 0: the uniform density 1/(2π) on S¹.
        let uniform = VmfKde::new(&circle, 0.0).expect("valid").log_prob(&circle);
        assert!((uniform.double_value(&[0]) + (2.0 * std::f64::consts::PI).ln()).abs() < 1e-12);
    }

    #[test]
    fn bad_kde_points_are_reported() {
        let off = Tensor::from_slice(&[2.0f64, 0.0]).view([1, 2]);
        assert!(matches!(
            VmfKde::new(&off, 1.0),
            Err(ObjectiveError::Manifold(_))
        ));
        let flat = Tensor::zeros([3], (Kind::Double, Device::Cpu));
        assert!(matches!(
            VmfKde::new(&flat, 1.0),
            Err(ObjectiveError::ShapeMismatch { got, .. }) if got == vec![3]
        ));
    }
}
