//! The implicit reparameterisation gradient of y = 1 − μᵀx with respect to κ.
//!
//! For the marginal density p(y) ∝ e^{−κy}(y(2 − y))^α of y, α = (m − 3)/2, with mean
//! Ȳ = 1 − A_m(κ), the implicit reparameterisation of Figurnov et al. (2018, §3) gives dy/dκ = −(∂G/∂κ)/p(y) for the CDF G of y.
//! Since ∂ ln p/∂κ = Ȳ − y, ∂G(y)/∂κ = ∫₀^y (Ȳ − s) p(s) ds = −∫_y^2 (Ȳ − s) p(s) ds, so
//!
//!   dy/dκ = ∫₀^y (s − Ȳ) p(s)/p(y) ds = ∫_y^2 (Ȳ − s) p(s)/p(y) ds  (< 0 everywhere).
//!
//! Both integrals are exact; we use the one whose factor s − Ȳ keeps its sign (towards 0 when
//! y < Ȳ, towards 2 otherwise), so nothing cancels — in particular not for y → 0 on S², where
//! the other integral is a difference of numbers 1e7 times larger than the result.
//!
//! m ≥ 3: p is log-concave in y (α ≥ 0), so h(s) = ln p(ỹ) − ln p(y) (ỹ at distance s from y
//! along the chosen side) is concave in s with h(0) = 0; on the side towards 2 it decreases, on
//! the side towards 0 it may first rise to the mode, by at most 1 (the mode then lies between
//! y and Ȳ, and a log-concave density on R is at least 1/e of its maximum at its mean: Lovász
//! & Vempala 2007, §5). The range is truncated where h ≤ −T (T = 46,
//! e^{−T} = 1e-20), located within a factor 2 among the distances D·2^{−i} (D = distance to the
//! end; {h ≤ −T} is a final segment since h is concave). This resolves every scale: by
//! concavity the integrand stays above its chord to e^{−T}. When the range reaches the end of
//! [0, 2] we substitute distance-to-end = D v², which turns (distance)^α into the smooth
//! v^{2α}. 64-point Gauss–Legendre then gives ~1e-14 relative (checked against an adaptive
//! quadrature in the tests).
//!
//! m = 2 (α = −½, not log-concave in y) is done in the angle θ = arccos(1 − y), where
//! p(y) dy ∝ e^{−κy} dθ is monotone: on [0, θ_y] when y < Ȳ (the integrand is bounded by
//! e^{κȲ} ≤ e), else on [θ_y, θ_T] with y(θ_T) = y + T/κ.

use crate::bessel::{bessel_ratio_complement, map_values};
use crate::integration::gauss_legendre;
use std::sync::OnceLock;
use tch::{Device, Kind, Tensor};

/// Gauss–Legendre order.
const NODES: usize = 64;
/// Truncation depth: the integrand is cut where it falls below e^{−T}.
const DEPTH: f64 = 46.0;
/// Candidate truncation distances D·2^{−i}, i = 0..CANDIDATES.
const CANDIDATES: i64 = 64;
/// Rows per chunk of the node computations.
const CHUNK_ROWS: i64 = 2048;

/// The Gauss–Legendre rule ([`crate::integration::gauss_legendre`]) moved to [0, 1]:
/// nodes ½(1 − xᵢ) in increasing order, weights wᵢ/2.
fn unit_rule(n: usize) -> (Vec<f64>, Vec<f64>) {
    let (x, w) = gauss_legendre(n).expect("invariant: NODES = 64 is a valid order");
    (
        x.iter().map(|x| 0.5 * (1.0 - x)).collect(),
        w.iter().map(|w| 0.5 * w).collect(),
    )
}

/// The cached rule as `[1, NODES]` f64 tensors on `device`.
fn rule(device: Device) -> (Tensor, Tensor) {
    static RULE: OnceLock<(Vec<f64>, Vec<f64>)> = OnceLock::new();
    let (v, w) = RULE.get_or_init(|| unit_rule(NODES));
    let t = |x: &Vec<f64>| Tensor::from_slice(x).to_device(device).unsqueeze(0);
    (t(v), t(w))
}

/// dy/dκ for samples `y` (`[N]` f64) of the marginal at concentrations `kappa` (`[N]` f64,
/// no gradient) in ambient dimension m ≥ 2.
pub(crate) fn dy_dkappa(m: i64, kappa: &Tensor, y: &Tensor) -> Tensor {
    let _guard = tch::no_grad_guard();
    // Ȳ = 1 − A_m(κ) without the cancellation of 1 − A (≈ (m−1)/(2κ) for large κ).
    let ybar = map_values(kappa, |k| bessel_ratio_complement(0.5 * m as f64 - 1.0, k));
    // Row chunks keep the [rows, NODES] temporaries small (cache-resident, no page faults).
    let chunks: Vec<Tensor> = (0..y.size()[0])
        .step_by(CHUNK_ROWS as usize)
        .map(|start| {
            let rows = CHUNK_ROWS.min(y.size()[0] - start);
            let part = |t: &Tensor| t.narrow(0, start, rows).unsqueeze(1);
            let (kappa, y, ybar) = (part(kappa), part(y), part(&ybar));
            if m == 2 {
                circle(&kappa, &y, &ybar)
            } else {
                log_concave(0.5 * (m - 3) as f64, &kappa, &y, &ybar)
            }
        })
        .collect();
    if chunks.is_empty() {
        return y.zeros_like();
    }
    // At the poles y ∈ {0, 2} (a draw can land there in floating point) dy/dκ = 0: the range
    // of integration is empty, but ln 0 would turn 0·∞ into NaN.
    let interior = y.gt(0.0).logical_and(&y.lt(2.0));
    Tensor::cat(&chunks, 0).where_self(&interior, &y.zeros_like())
}

/// h = ln p(y ± s) − ln p(y) = ∓κs + α(ln δ + ln(2 − δ) − ln y − ln(2 − y)), where δ is the
/// distance of y ± s to the end of the tail; y(2 − y) is symmetric under y ↦ 2 − y, so only
/// the distances matter. `far` = 2 − δ is passed separately, computed without cancellation.
struct Tail<'a> {
    alpha: f64,
    kappa: &'a Tensor,
    /// −1 towards 0, +1 towards 2.
    dir: Tensor,
    /// ln y + ln(2 − y).
    base: Tensor,
}

impl Tail<'_> {
    fn log_ratio(&self, s: &Tensor, delta: &Tensor, far: &Tensor) -> Tensor {
        let linear = -(self.kappa * &self.dir * s);
        if self.alpha == 0.0 {
            return linear;
        }
        linear + (delta.log() + far.log() - &self.base) * self.alpha
    }
}

/// m ≥ 3 (module docs). All arguments `[N, 1]`.
fn log_concave(alpha: f64, kappa: &Tensor, y: &Tensor, ybar: &Tensor) -> Tensor {
    // Integrate towards 0 when y < Ȳ, else towards 2: the factor ỹ − Ȳ keeps its sign.
    let small = y.lt_tensor(ybar);
    let dir = small.to_kind(Kind::Double) * -2.0 + 1.0;
    let two_minus_y = -y + 2.0;
    let d = y.where_self(&small, &two_minus_y); // distance from y to the tail's end
    let e = two_minus_y.where_self(&small, y); // 2 − d
    let tail = Tail {
        alpha,
        kappa,
        dir,
        base: y.log() + two_minus_y.log(),
    };
    // Truncation: the smallest D·2^{−i} with h ≤ −T. {i : h(D·2^{−i}) ≤ −T} is an initial
    // segment 0..count, found by bisection on count ∈ [0, CANDIDATES].
    let halving = |i: &Tensor| &d * (-i.to_kind(Kind::Double) * std::f64::consts::LN_2).exp();
    let (mut lo, mut hi) = (
        y.zeros_like().to_kind(Kind::Int64),
        y.full_like(CANDIDATES as f64).to_kind(Kind::Int64),
    );
    for _ in 0..7 {
        // Invariant: h ≤ −T at every i < lo, and h > −T at i = hi (or hi = CANDIDATES).
        let mid = (&lo + &hi).floor_divide_scalar(2);
        let cand = halving(&mid);
        let low = tail
            .log_ratio(&cand, &(&d - &cand), &(&e + &cand))
            .le(-DEPTH)
            .logical_and(&mid.lt_tensor(&hi));
        lo = (&mid + 1).where_self(&low, &lo);
        hi = hi.where_self(&low, &mid);
    }
    let count = lo;
    let reach = count.le(1); // the far end matters: substitute δ = D v²
    let len = halving(&(count - 1).clamp_min(0));
    let (v, w) = rule(y.device());
    let s = (&d * (-v.square() + 1.0)).where_self(&reach, &(&len * &v));
    let delta = (&d * v.square()).where_self(&reach, &(&d - &s));
    let jac = (&d * &v * 2.0).where_self(&reach, &len);
    let far = &e + &s; // 2 − δ
    let h = tail.log_ratio(&s, &delta, &far);
    // The integrand's factor is ỹ − Ȳ towards 0, where ỹ = δ, and Ȳ − ỹ towards 2, where
    // ỹ = y + s = far; both forms keep ỹ's small values exact.
    let factor = (&delta - ybar).where_self(&small, &(ybar - &far));
    (w * jac * factor * h.exp()).sum_dim_intlist(1, false, Kind::Double)
}

/// m = 2 in the angle (module docs). All arguments `[N, 1]`.
fn circle(kappa: &Tensor, y: &Tensor, ybar: &Tensor) -> Tensor {
    let angle = |yy: &Tensor| (yy * 0.5).clamp(0.0, 1.0).sqrt().asin() * 2.0;
    let theta = angle(y);
    let small = y.lt_tensor(ybar);
    let far = angle(&(y + DEPTH / kappa).clamp_max(2.0)); // κ = 0 gives +∞ → 2 → π
    let (lo, hi) = (
        theta.zeros_like().where_self(&small, &theta),
        theta.where_self(&small, &far),
    );
    let (v, w) = rule(y.device());
    let phi = &lo + (&hi - &lo) * v;
    let yy = (&phi * 0.5).sin().square() * 2.0;
    // dy/dκ = sin θ ∫ (ỹ − Ȳ) e^{−κ(ỹ − y)} dφ over [0, θ], or sin θ ∫ (Ȳ − ỹ) … over [θ, θ_T].
    let sign = small.to_kind(Kind::Double) * 2.0 - 1.0;
    let integrand = (&yy - ybar) * sign * (-(kappa * (&yy - y))).exp();
    let sin_theta = (y * (-y + 2.0)).clamp_min(0.0).sqrt();
    (w * integrand).sum_dim_intlist(1, false, Kind::Double)
        * (hi - lo).squeeze_dim(1)
        * sin_theta.squeeze_dim(1)
}

#[cfg(test)]
mod tests;
