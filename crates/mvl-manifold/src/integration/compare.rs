//! Comparisons of a learned (unnormalised) density with the true one on a quadrature grid.

use super::grid::Grid;
use crate::error::{ManifoldError, Result};
use tch::{Kind, Tensor};

/// How close a learned density q is to the true density p, on a grid.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DensityComparison {
    /// Pearson correlation of the two log-densities under the grid's (normalised) measure.
    pub corr_logdensity: f64,
    /// Total variation ½∫|p − q| after normalising q on the grid.
    pub tv: f64,
    /// KL(p‖q) = ∫ p log(p/q).
    pub kl: f64,
    /// max |(log p − mean log p) − (log q − mean log q)| over the grid (means under the
    /// grid's measure).
    pub max_abs_logdensity_err: f64,
}

/// Fails unless `values` (named `what`) are `[N]` finite values at the grid's points, as f64
/// on the CPU.
fn finite_values(what: &'static str, values: &Tensor, grid: &Grid) -> Result<Tensor> {
    grid.check_values(what, values)?;
    let values = values.to_kind(Kind::Double).to_device(tch::Device::Cpu);
    let bad = values.isfinite().logical_not().nonzero();
    if bad.size()[0] > 0 {
        return Err(ManifoldError::InvalidArgument {
            name: what,
            value: values.double_value(&[bad.int64_value(&[0, 0])]),
            reason: "log-densities must be finite at every grid point",
        });
    }
    Ok(values)
}

/// Compares `log_q` (learned, unnormalised) with `log_p` (true, normalised on the grid), both
/// `[N]` at the grid's points, any kind and device (computed in f64).
///
/// Every field is finite, except `corr_logdensity`, which is NaN when either log-density is
/// constant on the grid (its variance is 0, or underflows: variations below ~1e-150), and
/// except overflow: log-densities of magnitude
/// above ~1e150 (whose squares overflow f64) or a `log_p` that is not normalised (whose
/// exponential overflows) can give ±∞ or NaN.
///
/// Errors: `ShapeMismatch` unless both are `[N]`, `InvalidArgument` for a non-finite value,
/// `NotEnoughData` for an empty grid.
pub fn compare(log_p: &Tensor, log_q: &Tensor, grid: &Grid) -> Result<DensityComparison> {
    let log_p = finite_values("log_p", log_p, grid)?;
    let log_q = finite_values("log_q", log_q, grid)?;
    if grid.is_empty() {
        return Err(ManifoldError::NotEnoughData {
            what: "compare",
            min: 1,
            got: 0,
        });
    }
    // Shifted to a maximum of 0 first: the normaliser of values near 1e16 would otherwise be
    // lost to rounding.
    let log_q = &log_q - log_q.max();
    let log_q = &log_q - grid.log_integral(&log_q)?;
    let w = &grid.weights / grid.weights.sum(Kind::Double);
    let mean = |t: &Tensor| (t * &w).sum(Kind::Double);
    // Shifted by the first value before centring, so that a constant log-density centres to
    // exactly 0 (and huge offsets do not swamp the variations).
    let centred = |t: &Tensor| {
        let shifted = t - t.get(0);
        &shifted - mean(&shifted)
    };
    let (cp, cq) = (centred(&log_p), centred(&log_q));
    let cov = mean(&(&cp * &cq)).double_value(&[]);
    let corr =
        cov / (mean(&cp.square()).double_value(&[]) * mean(&cq.square()).double_value(&[])).sqrt();
    let (p, q) = (log_p.exp(), log_q.exp());
    let tv = ((&p - &q).abs() * &grid.weights)
        .sum(Kind::Double)
        .double_value(&[])
        / 2.0;
    let kl = (&p * (&log_p - &log_q) * &grid.weights)
        .sum(Kind::Double)
        .double_value(&[]);
    let max_err = (cp - cq).abs().max().double_value(&[]);
    Ok(DensityComparison {
        corr_logdensity: corr,
        tv,
        kl,
        max_abs_logdensity_err: max_err,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On S¹ with p = vMF((0, 1), κ = 2): a shifted copy of log p is a perfect match;
    /// against the uniform density TV = 0.467450 and KL = κA(κ) − ln I₀(κ) = 0.571556
    /// (reference values from a 2·10⁵-point midpoint rule); sin θ and cos θ are
    /// uncorrelated under the uniform measure.
    #[test]
    fn identical_uniform_and_turned_densities() {
        let g = Grid::circle(1000).expect("valid");
        // ln p = κ sin θ − ln(2π I₀(2)), I₀(2) = 2.2795853023360673.
        let log_p =
            g.points.select(1, 1) * 2.0 - (2.0 * std::f64::consts::PI * 2.2795853023360673f64).ln();
        let same = compare(&log_p, &(&log_p + 7.0), &g).expect("valid");
        assert!(
            (same.corr_logdensity - 1.0).abs() < 1e-12 && same.tv < 1e-12 && same.kl.abs() < 1e-12
        );
        assert!(same.max_abs_logdensity_err < 1e-12);
        let flat = compare(&log_p, &log_p.zeros_like(), &g).expect("valid");
        assert!(
            (flat.tv - 0.467450).abs() < 1e-5 && (flat.kl - 0.571556).abs() < 1e-5,
            "{flat:?}"
        );
        // Centred ln p = 2 sin θ against 0: the largest deviation is 2.
        assert!((flat.max_abs_logdensity_err - 2.0).abs() < 1e-4, "{flat:?}");
        let turned = compare(&log_p, &(g.points.select(1, 0) * 2.0), &g).expect("valid");
        assert!(turned.corr_logdensity.abs() < 1e-12, "{turned:?}");
    }
}
