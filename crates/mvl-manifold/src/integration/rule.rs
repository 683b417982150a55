//! The Gauss-Legendre rule: the crate's one quadrature rule on an interval.

use crate::error::{ManifoldError, Result};

/// The largest order [`gauss_legendre`] computes. Newton's iteration costs O(n²), about a
/// second at this order, and no grid of the crate needs more (n_θ ≈ 3√κ nodes resolve a von
/// Mises-Fisher density of concentration κ ≈ 3·10⁷).
pub const MAX_GAUSS_LEGENDRE_NODES: usize = 16_384;

/// Gauss-Legendre nodes and weights on [−1, 1], nodes in decreasing order: exact for
/// polynomials of degree 2n − 1.
///
/// Nodes are the zeros of P_n, found by Newton's iteration on the three-term Legendre
/// recurrence from Tricomi's initial guesses cos(π(i + ¾)/(n + ½)); the weights are
/// wᵢ = 2/((1 − xᵢ²) P_n′(xᵢ)²) (Abramowitz & Stegun 25.4.29). The rule is symmetric: the
/// second half is the mirror image of the first; n = 0 gives the empty rule.
///
/// Errors: `InvalidArgument` for n above [`MAX_GAUSS_LEGENDRE_NODES`].
///
/// ```
/// use mvl_manifold::integration::gauss_legendre;
/// // ∫₋₁¹ x⁴ dx = 2/5 exactly with three nodes.
/// let (x, w) = gauss_legendre(3)?;
/// let integral: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(4)).sum();
/// assert!((integral - 0.4).abs() < 1e-15);
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
pub fn gauss_legendre(n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    if n > MAX_GAUSS_LEGENDRE_NODES {
        return Err(ManifoldError::InvalidArgument {
            name: "n (Gauss-Legendre nodes)",
            value: n as f64,
            reason: "must be at most MAX_GAUSS_LEGENDRE_NODES = 16384",
        });
    }
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        // Initial guess (Tricomi), then Newton on P_n.
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (p, d) = legendre_and_derivative(n, x);
            dp = d;
            let dx = p / d;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        let (_, d) = legendre_and_derivative(n, x);
        dp = if d.is_finite() { d } else { dp };
        let w = 2.0 / ((1.0 - x * x) * dp * dp);
        nodes[i] = x;
        nodes[n - 1 - i] = -x;
        weights[i] = w;
        weights[n - 1 - i] = w;
    }
    Ok((nodes, weights))
}

/// (P_n(x), P_n′(x)) by the three-term recurrence (A&S 22.7.10) and
/// (x² − 1) P_n′ = n(x P_n − P_{n−1}) (A&S 22.8.5).
fn legendre_and_derivative(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let k = k as f64;
        let p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
    }
    let d = n as f64 * (x * p1 - p0) / (x * x - 1.0);
    (p1, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ∫₋₁¹ xᵏ dx = 2/(k + 1) for even k, 0 for odd k, for every k ≤ 2n − 1. Degree 2n is
    /// not integrated exactly (error 2^{2n+1}(n!)⁴/((2n+1)((2n)!)²) ≈ π/4ⁿ, checked where it
    /// exceeds 1e-6), so the test tells an n-point rule from a cheaper one.
    #[test]
    fn exact_for_polynomials_up_to_degree_2n_minus_1() {
        for n in [1usize, 2, 7, 20, 64] {
            let (x, w) = gauss_legendre(n).expect("valid order");
            let moment = |k: i32| -> f64 { x.iter().zip(&w).map(|(x, w)| w * x.powi(k)).sum() };
            for k in 0..(2 * n as i32) {
                let want = if k % 2 == 1 {
                    0.0
                } else {
                    2.0 / (k as f64 + 1.0)
                };
                assert!((moment(k) - want).abs() < 1e-13, "n = {n}, degree {k}");
            }
            let k = 2 * n as i32;
            if n <= 7 {
                assert!((moment(k) - 2.0 / (k as f64 + 1.0)).abs() > 1e-6, "n = {n}");
            }
        }
    }

    #[test]
    fn nodes_decrease_and_mirror() {
        let (x, w) = gauss_legendre(9).expect("valid order");
        assert!(x.windows(2).all(|p| p[0] > p[1]));
        for i in 0..4 {
            assert_eq!((x[i], w[i]), (-x[8 - i], w[8 - i]));
        }
        assert_eq!(gauss_legendre(0), Ok((vec![], vec![])));
    }
}
