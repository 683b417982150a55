//! Exponentially scaled logarithms, ln(f(x)·e^{−x}), for arguments so large that subtracting x
//! from ln I_ν(x) would cancel: at x = 1e16, ln I_ν(x) − x computed in f64 keeps no digit of
//! the O(ln x) result, since one ulp of x is 2.
//!
//! For x ≥ max(10³, 8ν²), Hankel's expansion (DLMF 10.40.1)
//!
//! I_ν(x) e^{−x} ~ (2πx)^{−1/2} Σ_k (−1)^k a_k(ν)/x^k,
//! a_k(ν) = (4ν² − 1²)(4ν² − 3²)···(4ν² − (2k − 1)²)/(k! 8^k),
//!
//! is summed until its terms fall below 10⁻¹⁷ of the sum (also for the ratio complement
//! 1 − I_{ν+1}/I_ν, whose uniform-expansion form loses digits at such x): there the ratio of consecutive
//! terms, |4ν² − (2k − 1)²|/(8kx), is at most max(ν²/(2kx), k/(2x)) ≤ 1/(16k), so the
//! truncation error is below the last term kept. Below the threshold the unscaled function
//! minus x is used: its absolute error is a few ulps of x ≤ max(10³, 8ν²), i.e. below 10⁻¹²
//! for ν ≤ 25 (every vMF up to S⁵⁰) and 10⁻⁷ at ν = 5000.

use super::{ln_gamma, log_iv, log_iv_normalized, special_value};

/// Whether Hankel's expansion is used (module docs).
fn use_hankel(nu: f64, x: f64) -> bool {
    x >= 1e3 && x >= 8.0 * nu * nu
}

/// Hankel's sums (S − 1, T) with S = Σ_k (−1)^k a_k(ν)/x^k and T = Σ_k (−1)^k k a_k(ν)/x^k
/// (module docs): S = √(2πx) I_ν(x) e^{−x}, and T = −x S′(x) gives the logarithmic derivative.
fn hankel_sums(nu: f64, x: f64) -> (f64, f64) {
    let mu = 4.0 * nu * nu;
    let (mut term, mut tail, mut weighted) = (1.0f64, 0.0f64, 0.0f64);
    for k in 1..=60 {
        let odd = (2 * k - 1) as f64;
        term *= -(mu - odd * odd) / (k as f64 * 8.0 * x);
        tail += term;
        weighted += k as f64 * term;
        if term.abs() <= 1e-17 * (1.0 + tail).abs() {
            break;
        }
    }
    (tail, weighted)
}

/// 1 − I_{ν+1}(x)/I_ν(x) from Hankel's expansion, where it applies (module docs): with
/// I_{ν+1}/I_ν = I′_ν/I_ν − ν/x and (ln I_ν)′ = 1 − 1/(2x) + S′/S,
/// 1 − I_{ν+1}/I_ν = (ν + ½ + T/S)/x, a sum of terms of one sign for large x (no cancellation).
pub(crate) fn ratio_complement_hankel(nu: f64, x: f64) -> Option<f64> {
    use_hankel(nu, x).then(|| {
        let (tail, weighted) = hankel_sums(nu, x);
        (nu + 0.5 + weighted / (1.0 + tail)) / x
    })
}

/// ln(I_ν(x) e^{−x}) for ν ≥ 0, x ≥ 0, accurate also for x far beyond 10⁶ (module docs):
/// ln I_ν(x) − x without the cancellation. 0 at x = 0 for ν = 0 (−∞ for ν > 0), −∞ at x = ∞,
/// NaN outside the domain.
///
/// ```
/// use mvl_manifold::bessel::log_ive;
/// // I_{1/2}(x) e^{−x} = (1 − e^{−2x})/√(2πx) (DLMF 10.39.1).
/// let x = 1e16f64;
/// assert!((log_ive(0.5, x) + 0.5 * (2.0 * std::f64::consts::PI * x).ln()).abs() < 1e-14);
/// ```
pub fn log_ive(nu: f64, x: f64) -> f64 {
    let at_zero = if nu == 0.0 { 0.0 } else { f64::NEG_INFINITY };
    if let Some(v) = special_value(nu, x, at_zero, f64::NEG_INFINITY) {
        return v;
    }
    if use_hankel(nu, x) {
        -0.5 * (2.0 * std::f64::consts::PI * x).ln() + hankel_sums(nu, x).0.ln_1p()
    } else {
        log_iv(nu, x) - x
    }
}

/// ln(₀F₁(; ν+1; x²/4) e^{−x}) = [`log_iv_normalized`](super::log_iv_normalized)(ν, x) − x
/// without the cancellation at large x (module docs). 0 at x = 0, −∞ at x = ∞, NaN outside
/// the domain. Its derivative is I_{ν+1}(x)/I_ν(x) − 1. The vMF density at its mode is
/// C_m(κ) e^κ = exp(−ln|S^{m−1}| − this function at ν = m/2 − 1, x = κ).
pub fn log_ive_normalized(nu: f64, x: f64) -> f64 {
    if let Some(v) = special_value(nu, x, 0.0, f64::NEG_INFINITY) {
        return v;
    }
    if use_hankel(nu, x) {
        log_ive(nu, x) - nu * (0.5 * x).ln() + ln_gamma(nu + 1.0)
    } else {
        log_iv_normalized(nu, x) - x
    }
}
