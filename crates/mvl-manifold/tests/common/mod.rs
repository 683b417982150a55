//! Statistics helpers shared by the integration tests: Kolmogorov–Smirnov statistics, the vMF
//! marginal CDF by quadrature, and means with standard errors.

#![allow(dead_code)]

use tch::{Kind, Tensor};

/// √n·D above which the one-sample KS test rejects at level 1e-4 (Kolmogorov's limit law,
/// P(√n D > c) ≈ 2 exp(−2c²); Massey 1951): c = √(ln(2·10⁴)/2) = 2.226.
pub const KS_CRIT_1E4: f64 = 2.226;

/// The entries of a 1-D tensor as f64.
pub fn values(t: &Tensor) -> Vec<f64> {
    let flat = t
        .detach()
        .to_kind(Kind::Double)
        .to_device(tch::Device::Cpu)
        .flatten(0, -1);
    Vec::<f64>::try_from(&flat).expect("flat f64 tensor")
}

/// (mean, standard error) of a sample, the SE from the sample's own standard deviation.
pub fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// (variance, its standard error √((μ₄ − σ⁴)/n)) of a sample.
pub fn var_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    (m2 * n / (n - 1.0), ((m4 - m2 * m2) / n).sqrt())
}

/// √n·D of the one-sample KS test for `sorted` data with CDF values `cdf` at those points.
pub fn ks_one_sample(cdf: &[f64]) -> f64 {
    let n = cdf.len() as f64;
    let d = cdf
        .iter()
        .enumerate()
        .map(|(i, &f)| (f - i as f64 / n).max((i + 1) as f64 / n - f))
        .fold(0.0, f64::max);
    d * n.sqrt()
}

/// √(nm/(n+m))·D of the two-sample KS test (same critical value as the one-sample test).
pub fn ks_two_sample(a: &mut [f64], b: &mut [f64]) -> f64 {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len(), b.len());
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < n && j < m {
        let v = a[i].min(b[j]);
        while i < n && a[i] <= v {
            i += 1;
        }
        while j < m && b[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n as f64 - j as f64 / m as f64).abs());
    }
    d * ((n * m) as f64 / (n + m) as f64).sqrt()
}

/// 8-point Gauss–Legendre on [0, 1].
const GL8: [(f64, f64); 8] = [
    (0.019855071751231884, 0.05061426814518813),
    (0.10166676129318664, 0.11119051722668724),
    (0.2372337950418355, 0.15685332293894363),
    (0.4082826787521751, 0.181341891689181),
    (0.591717321247825, 0.181341891689181),
    (0.7627662049581645, 0.15685332293894363),
    (0.8983332387068134, 0.11119051722668724),
    (0.9801449282487681, 0.05061426814518813),
];

/// ∫_a^b e^{f(φ) − shift} dφ by 8-point Gauss–Legendre on `panels` equal panels.
fn integrate(f: &dyn Fn(f64) -> f64, shift: f64, a: f64, b: f64, panels: usize) -> f64 {
    let h = (b - a) / panels as f64;
    (0..panels)
        .map(|p| {
            GL8.iter()
                .map(|&(x, w)| w * (f(a + h * (p as f64 + x)) - shift).exp())
                .sum::<f64>()
                * h
        })
        .sum()
}

/// The CDF of t = μᵀx under vMF_m(κ) at the sorted points `t`, by quadrature of the angle
/// density ∝ e^{κ cos φ} sin^{m−2} φ on [0, π] (F(t) = P(Θ ≥ arccos t)): 8-point Gauss–Legendre
/// between consecutive points and on 2000 panels outside them.
pub fn marginal_cdf(m: i64, kappa: f64, t: &[f64]) -> Vec<f64> {
    let power = |phi: f64| {
        if m == 2 {
            0.0
        } else {
            (m - 2) as f64 * phi.sin().ln()
        }
    };
    let logq = |phi: f64| kappa * (phi.cos() - 1.0) + power(phi);
    let mut theta: Vec<f64> = t.iter().map(|v| v.clamp(-1.0, 1.0).acos()).collect(); // decreasing
    theta.reverse(); // increasing
    let shift = (0..=20_000)
        .map(|i| logq(std::f64::consts::PI * i as f64 / 20_000.0))
        .fold(f64::MIN, f64::max);
    // Mass in [0, θ_1], [θ_i, θ_{i+1}], [θ_n, π].
    let mut pieces = vec![integrate(&logq, shift, 0.0, theta[0], 2000)];
    pieces.extend(
        theta
            .windows(2)
            .map(|w| integrate(&logq, shift, w[0], w[1], 1)),
    );
    pieces.push(integrate(
        &logq,
        shift,
        theta[theta.len() - 1],
        std::f64::consts::PI,
        2000,
    ));
    let total: f64 = pieces.iter().sum();
    // P(Θ ≥ θ_i) = (mass above θ_i)/total, reported in the order of `t`.
    let mut above = 0.0;
    let mut cdf = vec![0.0; theta.len()];
    for i in (0..theta.len()).rev() {
        above += pieces[i + 1];
        cdf[i] = above / total;
    }
    cdf.reverse();
    cdf
}
