//! Maximum-likelihood fitting: mean direction and the concentration solving A_m(κ) = R̄.

use super::VonMisesFisher;
use crate::bessel::{mean_resultant_length, mean_resultant_length_derivative};
use crate::error::{ManifoldError, Result};
use crate::manifold::Manifold;
use crate::sphere::Sphere;
use tch::{Kind, Tensor};

/// The concentration κ ≥ 0 with A_m(κ) = `rbar` (the vMF maximum-likelihood equation, Mardia &
/// Jupp 2000, §10.3.1), capped at `kappa_max` (returned when A_m(kappa_max) ≤ rbar).
///
/// Safeguarded Newton iteration on the accurate ratio ([`crate::bessel::bessel_ratio`]):
/// A_m is increasing, each iterate updates a bracket [lo, hi] by the sign of A_m(κ) − rbar,
/// and a Newton step leaving the bracket is replaced by bisection (by doubling while no upper
/// bound is known). The start is the approximation of Banerjee et al. (2005, §4.1),
/// κ₀ = rbar(m − rbar²)/(1 − rbar²). Returns 0 for rbar ≤ 0 and `kappa_max` for rbar ≥ 1;
/// NaN inputs give NaN. The relative accuracy is limited by the conditioning,
/// ≈ 1e-16/(1 − rbar) for rbar near 1.
pub fn solve_concentration(m: i64, rbar: f64, kappa_max: f64) -> f64 {
    if rbar.is_nan() || m < 2 {
        return f64::NAN;
    }
    if rbar <= 0.0 {
        return 0.0;
    }
    if rbar >= 1.0 || mean_resultant_length(m, kappa_max) <= rbar {
        return kappa_max;
    }
    let md = m as f64;
    let (mut lo, mut hi) = (0.0f64, kappa_max);
    let mut kappa = (rbar * (md - rbar * rbar) / (1.0 - rbar * rbar)).clamp(0.0, kappa_max);
    for _ in 0..200 {
        let f = mean_resultant_length(m, kappa) - rbar;
        if f == 0.0 {
            return kappa;
        }
        if f < 0.0 {
            lo = lo.max(kappa);
        } else {
            hi = hi.min(kappa);
        }
        let newton = kappa - f / mean_resultant_length_derivative(m, kappa);
        let next = if newton > lo && newton < hi {
            newton
        } else if hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            2.0 * kappa.max(1.0)
        };
        if (next - kappa).abs() <= 4.0 * f64::EPSILON * next || hi - lo <= 4.0 * f64::EPSILON * hi {
            return next;
        }
        kappa = next;
    }
    kappa
}

/// Checks that `x` is an `[N, m]` batch (m ≥ 2) of finite unit vectors; returns (N, m).
pub(crate) fn check_unit_rows(what: &'static str, x: &Tensor) -> Result<(i64, i64)> {
    let size = x.size();
    if size.len() != 2 {
        return Err(ManifoldError::ShapeMismatch {
            what,
            expected: "[N, m]".to_owned(),
            got: size,
        });
    }
    Sphere::new(size[1] - 1)
        .map_err(|_| ManifoldError::InvalidDimension {
            what,
            min: 2,
            got: size[1],
        })?
        .check_points(x)?;
    Ok((size[0], size[1]))
}

impl VonMisesFisher {
    /// The maximum-likelihood vMF for the rows of `x` (`[N, m]`, unit vectors): μ̂ = Σx/|Σx| and
    /// κ̂ solving A_m(κ̂) = R̄ = |Σx|/N ([`solve_concentration`], no cap). A single-row
    /// distribution of `x`'s kind and device.
    ///
    /// Errors: `NotEnoughData` for N < 2 (one point has R̄ = 1: no finite MLE), `ShapeMismatch`
    /// / `OffManifold` for rows that are not finite unit vectors, and `InfiniteConcentration`
    /// when all points coincide (R̄ = 1 to working precision), where κ̂ = ∞. For R̄ = 0 the
    /// direction is arbitrary (e₁ is returned) and κ̂ = 0.
    pub fn fit(x: &Tensor) -> Result<VonMisesFisher> {
        let (n, m) = check_unit_rows("VonMisesFisher::fit", x)?;
        if n < 2 {
            return Err(ManifoldError::NotEnoughData {
                what: "VonMisesFisher::fit",
                min: 2,
                got: n,
            });
        }
        let x64 = x.detach().to_kind(Kind::Double);
        let sum = x64.sum_dim_intlist(0, false, Kind::Double);
        let norm = sum.norm().double_value(&[]);
        let rbar = (norm / n as f64).min(1.0);
        if rbar >= 1.0 {
            return Err(ManifoldError::InfiniteConcentration(rbar));
        }
        let loc = if norm > 0.0 {
            sum / norm
        } else {
            Tensor::eye(m, (Kind::Double, x.device())).get(0)
        };
        let kappa = solve_concentration(m, rbar, f64::INFINITY);
        let kappa = Tensor::from_slice(&[kappa]).to_device(x.device());
        let kind = x.kind();
        Ok(Self::from_unit(
            loc.view([1, m]).to_kind(kind),
            kappa.to_kind(kind),
        ))
    }
}
