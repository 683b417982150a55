//! Modified Bessel functions of the first kind in log space, their ratio, and the vMF mean
//! resultant length, accurate in f64 for orders ν ∈ [0, 5000] and arguments x ∈ [1e-8, 1e6]
//! (tested to 1e-10 relative against an mpmath table, `tests/data/log_iv_table.csv`, made by
//! `scripts/bessel_table.py`; in practice the error is a few ulps times the magnitude).
//!
//! # Regimes
//! | region | method | source |
//! |---|---|---|
//! | x² < ν + 1 | power series I_ν(x) = (x/2)^ν Σ_k (x²/4)^k/(k! Γ(ν+k+1)), all terms positive, ratio of consecutive terms ≤ 1/4 | DLMF 10.25.2 |
//! | ν ≥ 25, other x | Olver's uniform asymptotic expansion, 14 terms | DLMF 10.41.3, 10.41.10 |
//! | ν < 25, other x | the same at order ν + N ≥ 25, then N steps of the three-term recurrence downwards | DLMF 10.29.1 |
//!
//! The ratio I_{ν+1}/I_ν comes from the uniform expansion of I'_ν (DLMF 10.41.4) rearranged so
//! that nothing cancels (see the `debye` module), and for ν < 25 from the backward recurrence
//! R_ν = x/(2(ν+1) + x R_{ν+1}) — the Gauss continued fraction (DLMF 10.33.1) evaluated from a
//! tail supplied by the expansion. The backward recurrence multiplies the error of its starting
//! value by R_ν² ≤ 1 at each step, so it is stable for every x. Then
//! ln I_ν = ln I_{ν+N} − Σ_j ln R_{ν+j}.
//!
//! Unlike `log(scipy.special.ive)`, nothing here under- or overflows: the order-5000 value at
//! x = 1e-8 is about −1.3e5 and the order-0 value at x = 1e6 about +1e6.
//!
//! Beyond x = 10⁶, [`log_ive`] and [`log_ive_normalized`] (ln of the functions times e^{−x},
//! from Hankel's expansion at large x) keep the digits that subtracting x from [`log_iv`]
//! loses; the von Mises–Fisher densities use them.
//!
//! Domain: ν ≥ 0 and x ≥ 0 (x = 0 gives the limits). Outside it (or for NaN) the functions
//! return NaN, the convention of `f64::ln`; the distributions validate their parameters before
//! calling them.
//!
//! ```
//! use mvl_manifold::bessel::{bessel_ratio, log_iv, mean_resultant_length};
//! // I_{1/2}(x) = sqrt(2/(πx)) sinh x (DLMF 10.39.1).
//! let x = 3.0f64;
//! let exact = (2.0 / (std::f64::consts::PI * x)).sqrt().ln() + x.sinh().ln();
//! assert!((log_iv(0.5, x) - exact).abs() < 1e-14);
//! // A_3(κ) = coth κ − 1/κ on S², and it equals the ratio of orders 3/2 and 1/2.
//! let a3 = 1.0 / 2.0f64.tanh() - 0.5;
//! assert!((mean_resultant_length(3, 2.0) - a3).abs() < 1e-15);
//! assert!((bessel_ratio(0.5, 2.0) - a3).abs() < 1e-15);
//! // Large orders stay finite where exp-scaled implementations underflow.
//! assert!(log_iv(4999.5, 1e-8).is_finite());
//! ```

mod debye;
mod scaled;
mod tensor;

pub use scaled::{log_ive, log_ive_normalized};
pub(crate) use tensor::map_values;
pub use tensor::{
    bessel_ratio_complement_tensor, bessel_ratio_tensor, log_iv_normalized_tensor, log_iv_tensor,
    log_ive_normalized_tensor, mean_resultant_length_tensor,
};

/// Orders from which the uniform expansion is used directly.
pub const DEBYE_MIN_ORDER: f64 = 25.0;

/// ln Γ(x) for x > 0 (NaN for x ≤ 0 or NaN).
///
/// Stirling's series with 8 Bernoulli terms for x ≥ 15 (DLMF 5.11.1; the remainder is below the
/// first omitted term, < 1e-20 there), shifted there from smaller x by Γ(x) = Γ(x+n)/(x(x+1)…).
/// Accuracy: 2e-16 relative for x ≥ 15; below, 5e-15 absolute (the shift subtracts numbers of
/// size ln Γ(15) ≈ 25).
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    let mut shift = 0.0;
    let mut y = x;
    let mut prod = 1.0;
    while y < 15.0 {
        prod *= y;
        y += 1.0;
        if prod > 1e250 {
            shift += prod.ln();
            prod = 1.0;
        }
    }
    shift += prod.ln();
    // B_{2k}/(2k(2k−1)) for k = 1..8 (DLMF 5.11.1, Table 24.2.1).
    const C: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360360.0,
        1.0 / 156.0,
        -3617.0 / 122400.0,
    ];
    let inv2 = 1.0 / (y * y);
    let tail = C.iter().rev().fold(0.0, |acc, &c| acc * inv2 + c) / y;
    let half_ln_2pi = 0.918_938_533_204_672_7;
    (y - 0.5) * y.ln() - y + half_ln_2pi + tail - shift
}

/// Whether the power series is used: its term ratio (x²/4)/(k(ν+k)) is then ≤ 1/4.
fn use_series(nu: f64, x: f64) -> bool {
    x * x < nu + 1.0
}

/// ln Σ_k (x²/4)^k/(k! (ν+1)_k) = ln ₀F₁(; ν+1; x²/4), all terms positive (DLMF 10.25.2).
fn log_series(nu: f64, x: f64) -> f64 {
    let q = 0.25 * x * x;
    let (mut term, mut sum, mut k) = (1.0f64, 0.0f64, 0.0f64);
    loop {
        k += 1.0;
        term *= q / (k * (nu + k));
        sum += term;
        if term <= 1e-17 * sum || term == 0.0 {
            return sum.ln_1p();
        }
    }
}

/// Number of recurrence steps to reach the expansion's orders, and the start order.
fn lift(nu: f64) -> (usize, f64) {
    let steps = (DEBYE_MIN_ORDER - nu).max(0.0).ceil() as usize;
    (steps, nu + steps as f64)
}

/// Walks R_{ν+j} = x/(2(ν+j+1) + x R_{ν+j+1}) down from j = steps (DLMF 10.29.1) and returns
/// (R_ν, Σ_{j<steps} ln R_{ν+j}).
fn recur_down(nu: f64, x: f64) -> (f64, f64) {
    let (steps, top) = lift(nu);
    let mut r = debye::ratio(top, x);
    let mut log_sum = 0.0;
    for j in (0..steps).rev() {
        r = x / (2.0 * (nu + j as f64 + 1.0) + x * r);
        log_sum += r.ln();
    }
    (r, log_sum)
}

fn in_domain(nu: f64, x: f64) -> bool {
    nu >= 0.0 && x >= 0.0 && nu.is_finite()
}

/// NaN outside the domain, `at_zero` at x = 0, `at_infinity` at x = ∞, None otherwise.
pub(crate) fn special_value(nu: f64, x: f64, at_zero: f64, at_infinity: f64) -> Option<f64> {
    if !in_domain(nu, x) {
        Some(f64::NAN)
    } else if x == 0.0 {
        Some(at_zero)
    } else if x.is_infinite() {
        Some(at_infinity)
    } else {
        None
    }
}

/// ln I_ν(x), the logarithm of the modified Bessel function of the first kind, for ν ≥ 0 and
/// x ≥ 0 (module docs list the methods; −∞ at x = 0 for ν > 0, NaN outside the domain).
pub fn log_iv(nu: f64, x: f64) -> f64 {
    let at_zero = if nu == 0.0 { 0.0 } else { f64::NEG_INFINITY };
    if let Some(v) = special_value(nu, x, at_zero, f64::INFINITY) {
        return v;
    }
    if use_series(nu, x) {
        return nu * (0.5 * x).ln() - ln_gamma(nu + 1.0) + log_series(nu, x);
    }
    if nu >= DEBYE_MIN_ORDER {
        return debye::log_iv(nu, x);
    }
    let (_, top) = lift(nu);
    debye::log_iv(top, x) - recur_down(nu, x).1
}

/// ln(Γ(ν+1) (2/x)^ν I_ν(x)) = ln ₀F₁(; ν+1; x²/4): ln I_ν with its small-x behaviour divided
/// out. It is 0 at x = 0, increasing, and its derivative is I_{ν+1}(x)/I_ν(x). The vMF log
/// normaliser is −ln|S^{m−1}| minus this function at ν = m/2 − 1 (see [`crate::VonMisesFisher`]).
pub fn log_iv_normalized(nu: f64, x: f64) -> f64 {
    if let Some(v) = special_value(nu, x, 0.0, f64::INFINITY) {
        return v;
    }
    if use_series(nu, x) {
        return log_series(nu, x);
    }
    log_iv(nu, x) - nu * (0.5 * x).ln() + ln_gamma(nu + 1.0)
}

/// The ratio I_{ν+1}(x)/I_ν(x) ∈ [0, 1) for ν ≥ 0, x ≥ 0 (0 at x = 0, → 1 as x → ∞).
pub fn bessel_ratio(nu: f64, x: f64) -> f64 {
    special_value(nu, x, 0.0, 1.0).unwrap_or_else(|| recur_down(nu, x).0)
}

/// 1 − I_{ν+1}(x)/I_ν(x) ∈ (0, 1], accurate also where the ratio is close to 1 (x ≫ ν), where
/// `1.0 - bessel_ratio(nu, x)` keeps only log10(1/(1 − ratio)) fewer digits.
///
/// x ≥ max(10³, 8ν²): Hankel's expansion ([`log_ive`]'s module docs); otherwise, for
/// ν ≥ 25: the uniform expansion rearranged so that its terms add (see the `debye` module);
/// ν < 25: D_ν = 1 − R_ν from the same backward recurrence, which in these variables reads
/// D_ν = (2(ν+1) − x D_{ν+1})/(2(ν+1) + x(1 − D_{ν+1})) (the numerator cancels by at most a
/// factor 4, since x D_{ν+1} → ν + 3/2 as x → ∞).
pub fn bessel_ratio_complement(nu: f64, x: f64) -> f64 {
    if let Some(v) = special_value(nu, x, 1.0, 0.0) {
        return v;
    }
    if let Some(d) = scaled::ratio_complement_hankel(nu, x) {
        return d;
    }
    let (steps, top) = lift(nu);
    let mut d = debye::ratio_complement(top, x);
    for j in (0..steps).rev() {
        let two_nu1 = 2.0 * (nu + j as f64 + 1.0);
        d = (two_nu1 - x * d) / (two_nu1 + x * (1.0 - d));
    }
    d
}

/// The mean resultant length A_d(κ) = I_{d/2}(κ)/I_{d/2−1}(κ) of the von Mises–Fisher
/// distribution on S^{d−1} ⊂ R^d (E\[μᵀx\] = A_d(κ); Mardia & Jupp 2000, §9.3.2). NaN for
/// d < 2.
pub fn mean_resultant_length(d: i64, kappa: f64) -> f64 {
    if d < 2 {
        return f64::NAN;
    }
    bessel_ratio(0.5 * d as f64 - 1.0, kappa)
}

/// d/dx [I_{ν+1}(x)/I_ν(x)] = 1 − R² − (2ν+1)R/x with R = I_{ν+1}/I_ν (from
/// I'_ν = I_{ν+1} + (ν/x)I_ν and I'_{ν+1} = I_ν − ((ν+1)/x)I_{ν+1}, DLMF 10.29.2), with its
/// limit 1/(2ν+2) at x = 0.
pub fn bessel_ratio_derivative(nu: f64, x: f64) -> f64 {
    if x == 0.0 && nu >= 0.0 {
        return 0.5 / (nu + 1.0);
    }
    let r = bessel_ratio(nu, x);
    1.0 - r * r - (2.0 * nu + 1.0) * r / x
}

/// dA_d/dκ = 1 − A² − (d−1)A/κ ([`bessel_ratio_derivative`] at ν = d/2 − 1), 1/d at κ = 0.
/// It equals Var\[μᵀx\] for x ~ vMF(μ, κ). NaN for d < 2.
pub fn mean_resultant_length_derivative(d: i64, kappa: f64) -> f64 {
    if d < 2 {
        return f64::NAN;
    }
    bessel_ratio_derivative(0.5 * d as f64 - 1.0, kappa)
}

#[cfg(test)]
mod tests;
