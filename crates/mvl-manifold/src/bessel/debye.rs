//! Olver's uniform asymptotic (Debye) expansion of I_ν(νz) for large order.
//!
//! DLMF 10.41.3: I_ν(νz) ~ e^{νη} / ((2πν)^{1/2} (1+z²)^{1/4}) Σ_k U_k(p)/ν^k, with
//! η = √(1+z²) + ln(z/(1+√(1+z²))) = √(1+z²) − asinh(1/z) and p = (1+z²)^{-1/2}.
//! DLMF 10.41.4: I'_ν(νz) ~ (1+z²)^{1/4} e^{νη} / ((2πν)^{1/2} z) Σ_k V_k(p)/ν^k.
//! The polynomials come from the recurrences DLMF 10.41.10 (U_k) and 10.41.11 (V_k); the
//! expansion is uniform in z ∈ (0, ∞), so for ν ≥ [`super::DEBYE_MIN_ORDER`] it covers every
//! argument.
//!
//! The ratio I_{ν+1}/I_ν = I'_ν/I_ν − ν/x (DLMF 10.29.2) is evaluated without cancellation:
//! with S_U = Σ U_k/ν^k and S_V = Σ V_k/ν^k, I'_ν/I_ν − ν/x = (S_V − p S_U)/(z p S_U). Each
//! V_k − pU_k vanishes at p = 1 (z → 0), so it factors as (1 − p) Q_k(p) (exact polynomial
//! division, done once), and 1 − p = z²p²/(1 + p). Hence
//! I_{ν+1}/I_ν = z p/(1 + p) · (Σ Q_k/ν^k)/S_U, a quotient of two sums near 1.

use std::sync::OnceLock;

/// Number of terms U_0 … U_{K−1} kept. With ν ≥ 25 the first omitted term is below 1e-19
/// relative over all z (checked against the mpmath table in the tests).
const TERMS: usize = 14;

/// Coefficient tables (ascending powers of p) of U_k, Q_k = (V_k − pU_k)/(1 − p) and
/// Q_k − U_k.
struct Tables {
    u: Vec<Vec<f64>>,
    q: Vec<Vec<f64>>,
    q_minus_u: Vec<Vec<f64>>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build_tables)
}

fn derivative(c: &[f64]) -> Vec<f64> {
    c.iter()
        .enumerate()
        .skip(1)
        .map(|(j, &cj)| j as f64 * cj)
        .collect()
}

/// U_{k+1}(p) = ½p²(1−p²)U_k'(p) + ⅛∫₀ᵖ(1−5t²)U_k(t)dt (DLMF 10.41.10).
fn next_u(u: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; u.len() + 3];
    for (j, &d) in derivative(u).iter().enumerate() {
        out[j + 2] += 0.5 * d;
        out[j + 4] -= 0.5 * d;
    }
    for (j, &c) in u.iter().enumerate() {
        out[j + 1] += c / (8.0 * (j + 1) as f64);
        out[j + 3] -= 5.0 * c / (8.0 * (j + 3) as f64);
    }
    out
}

/// V_k(p) = U_k(p) + p(p²−1)(½U_{k−1}(p) + pU'_{k−1}(p)) (DLMF 10.41.11), minus pU_k(p),
/// divided by (1 − p) (synthetic division; the remainder vanishes because V_k(1) = U_k(1)).
fn q_poly(u_k: &[f64], u_prev: &[f64]) -> Vec<f64> {
    let mut inner = vec![0.0; u_prev.len() + 1];
    for (j, &c) in u_prev.iter().enumerate() {
        inner[j] += 0.5 * c;
    }
    for (j, &d) in derivative(u_prev).iter().enumerate() {
        inner[j + 1] += d;
    }
    // P = U_k + (p³ − p)·inner − p·U_k
    let mut p = vec![0.0; u_k.len().max(inner.len() + 3) + 1];
    for (j, &c) in u_k.iter().enumerate() {
        p[j] += c;
        p[j + 1] -= c;
    }
    for (j, &c) in inner.iter().enumerate() {
        p[j + 3] += c;
        p[j + 1] -= c;
    }
    // P(p) = (1 − p)Q(p): from the top, q_{n−1} = −a_n, q_{j−1} = q_j − a_j.
    let n = p.len() - 1;
    let mut q = vec![0.0; n];
    let mut acc = 0.0;
    for j in (1..=n).rev() {
        acc -= p[j];
        q[j - 1] = acc;
    }
    q
}

fn build_tables() -> Tables {
    let mut u = vec![vec![1.0]];
    for k in 1..TERMS {
        let next = next_u(&u[k - 1]);
        u.push(next);
    }
    let mut q = vec![vec![1.0]];
    for k in 1..TERMS {
        q.push(q_poly(&u[k], &u[k - 1]));
    }
    let q_minus_u = q
        .iter()
        .zip(&u)
        .map(|(qk, uk)| {
            let mut d = vec![0.0; qk.len().max(uk.len())];
            qk.iter().enumerate().for_each(|(j, c)| d[j] += c);
            uk.iter().enumerate().for_each(|(j, c)| d[j] -= c);
            d
        })
        .collect();
    Tables { u, q, q_minus_u }
}

/// Σ_k P_k(p) ν^{−k} by Horner in p (inner) and in 1/ν (outer).
fn series(polys: &[Vec<f64>], p: f64, nu: f64) -> f64 {
    let inv = 1.0 / nu;
    polys.iter().rev().fold(0.0, |acc, c| {
        let value = c.iter().rev().fold(0.0, |a, &cj| a * p + cj);
        acc * inv + value
    })
}

/// (p, η) for z = x/ν, with √(1+z²) as a hypot.
fn p_eta(nu: f64, x: f64) -> (f64, f64) {
    let z = x / nu;
    let root = z.hypot(1.0);
    (1.0 / root, root - (1.0 / z).asinh())
}

/// ln I_ν(x) by DLMF 10.41.3, for ν ≥ [`super::DEBYE_MIN_ORDER`] and x > 0.
pub(super) fn log_iv(nu: f64, x: f64) -> f64 {
    let (p, eta) = p_eta(nu, x);
    let su = series(&tables().u, p, nu);
    nu * eta - 0.5 * (2.0 * std::f64::consts::PI * nu).ln() + 0.5 * p.ln() + su.ln()
}

/// I_{ν+1}(x)/I_ν(x) = z p/(1+p) · ΣQ_k/ν^k / ΣU_k/ν^k (module docs), ν ≥ 25, x > 0.
pub(super) fn ratio(nu: f64, x: f64) -> f64 {
    let z = x / nu;
    let p = 1.0 / z.hypot(1.0);
    let t = tables();
    z * p / (1.0 + p) * series(&t.q, p, nu) / series(&t.u, p, nu)
}

/// 1 − I_{ν+1}(x)/I_ν(x) without cancellation, ν ≥ 25, x > 0: with r = √(1+z²), c = z/r,
/// 1 − c = 1/(r(r + z)) and T/S_U = 1 + ε, ε = Σ(Q_k − U_k)ν^{−k}/S_U, the ratio is
/// c(1 + ε)/(1 + p), so 1 − ratio = ((1 − c) + p − cε)/(1 + p); for large z the terms p ≈ ν/x
/// and −cε ≈ 1/(2x) add up instead of cancelling.
pub(super) fn ratio_complement(nu: f64, x: f64) -> f64 {
    let z = x / nu;
    let r = z.hypot(1.0);
    let (p, c) = (1.0 / r, z / r);
    let t = tables();
    let eps = series(&t.q_minus_u, p, nu) / series(&t.u, p, nu);
    (1.0 / (r * (r + z)) + p - c * eps) / (1.0 + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(c: &[f64], p: f64) -> f64 {
        c.iter().rev().fold(0.0, |a, &cj| a * p + cj)
    }

    #[test]
    fn first_polynomials_match_dlmf() {
        // DLMF 10.41.10 lists U_1 = (3p − 5p³)/24, U_2 = (81p² − 462p⁴ + 385p⁶)/1152.
        let t = tables();
        for p in [0.1f64, 0.5, 0.9] {
            let u1 = (3.0 * p - 5.0 * p.powi(3)) / 24.0;
            let u2 = (81.0 * p * p - 462.0 * p.powi(4) + 385.0 * p.powi(6)) / 1152.0;
            assert!((eval(&t.u[1], p) - u1).abs() < 1e-16);
            assert!((eval(&t.u[2], p) - u2).abs() < 1e-16);
            // V_1 = (−9p + 7p³)/24 (DLMF 10.41.11) ⇒ Q_1 = (V_1 − pU_1)/(1 − p).
            let v1 = (-9.0 * p + 7.0 * p.powi(3)) / 24.0;
            assert!((eval(&t.q[1], p) - (v1 - p * u1) / (1.0 - p)).abs() < 1e-15);
        }
    }

    #[test]
    fn q_division_is_exact() {
        // The factorisation V_k − pU_k = (1 − p)Q_k is checked away from p = 1.
        let t = tables();
        for k in 1..TERMS {
            let p = 0.37;
            let direct = {
                let mut inner = 0.5 * eval(&t.u[k - 1], p);
                inner += p * eval(&derivative(&t.u[k - 1]), p);
                eval(&t.u[k], p) + p * (p * p - 1.0) * inner - p * eval(&t.u[k], p)
            };
            let factored = (1.0 - p) * eval(&t.q[k], p);
            // Rounding scale: the coefficients' magnitudes (the sums cancel strongly).
            let scale: f64 = t.u[k].iter().chain(&t.u[k - 1]).map(|c| c.abs()).sum();
            assert!((direct - factored).abs() <= 1e-14 * scale, "k = {k}");
        }
    }
}
