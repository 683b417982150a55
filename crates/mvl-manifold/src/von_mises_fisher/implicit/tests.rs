use super::*;
use crate::bessel::bessel_ratio_complement;
use crate::energy::{differentiable, grad_of_sum};
use crate::von_mises_fisher::sample::inverse_cdf_y;

/// Adaptive Gauss–Legendre (12 points; a panel is bisected until it agrees with its halves to
/// 1e-14 relative or `floor` absolute).
fn adaptive(f: &dyn Fn(f64) -> f64, a: f64, b: f64, floor: f64, depth: u32) -> f64 {
    let (v, w) = unit_rule(12);
    let rule = |a: f64, b: f64| {
        (b - a)
            * v.iter()
                .zip(&w)
                .map(|(&x, &wx)| wx * f(a + (b - a) * x))
                .sum::<f64>()
    };
    let whole = rule(a, b);
    let mid = 0.5 * (a + b);
    let halves = rule(a, mid) + rule(mid, b);
    if (whole - halves).abs() <= (1e-14 * halves.abs()).max(floor) || depth == 0 {
        return halves;
    }
    adaptive(f, a, mid, floor, depth - 1) + adaptive(f, mid, b, floor, depth - 1)
}

/// An independent dy/dκ: in the angle φ, dy/dκ = sin θ ∫₀^θ (ỹ − Ȳ) e^{−κ(ỹ − y)}
/// (sin φ/sin θ)^{m−2} dφ (or minus the same over [θ, π]), on the side where ỹ − Ȳ keeps its
/// sign, with panels graded geometrically towards θ and adaptive refinement.
fn reference(m: i64, kappa: f64, y: f64) -> f64 {
    let ybar = bessel_ratio_complement(0.5 * m as f64 - 1.0, kappa);
    let theta = 2.0 * (0.5 * y).sqrt().asin();
    let (sin_t, mm) = (theta.sin(), (m - 2) as f64);
    let g = |phi: f64| {
        let yy = 2.0 * (0.5 * phi).sin().powi(2);
        let log = -kappa * (yy - y)
            + if mm > 0.0 {
                mm * (phi.sin() / sin_t).ln()
            } else {
                0.0
            };
        (yy - ybar) * log.exp() * sin_t
    };
    let lower = y < ybar;
    let (len, sign) = if lower {
        (theta, 1.0)
    } else {
        (std::f64::consts::PI - theta, -1.0)
    };
    // Panels [len/2^{j+1}, len/2^j] away from θ, the largest first (so that the running total
    // sets the absolute floor of the small ones next to θ, where ỹ − Ȳ may vanish).
    let mut total = 0.0f64;
    for j in 0..70 {
        let (near, far) = (len * 0.5f64.powi(j + 1), len * 0.5f64.powi(j));
        let near = if j == 69 { 0.0 } else { near };
        let (a, b) = if lower {
            (theta - far, theta - near)
        } else {
            (theta + near, theta + far)
        };
        total += adaptive(&g, a.max(0.0), b, 1e-17 * total.abs(), 20);
    }
    sign * total
}

#[test]
fn unit_rule_is_exact_for_polynomials() {
    let (v, w) = unit_rule(NODES);
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-14);
    // ∫₀¹ x^{2n−1} dx = 1/(2n) is integrated exactly by the n-point rule.
    let p = (2 * NODES - 1) as i32;
    let integral: f64 = v.iter().zip(&w).map(|(x, wx)| wx * x.powi(p)).sum();
    assert!((integral - 1.0 / (p + 1) as f64).abs() < 1e-14);
}

/// The worst relative deviation from [`reference`] over the given m, κ and y = f·Ȳ (points
/// outside (0, 2) skipped).
fn check_grid(ms: &[i64], kappas: &[f64], fs: &[f64]) {
    let mut worst = (0.0f64, 0, 0.0, 0.0);
    for &m in ms {
        for &kappa in kappas {
            let ybar = bessel_ratio_complement(0.5 * m as f64 - 1.0, kappa);
            let ys: Vec<f64> = fs
                .iter()
                .map(|f| f * ybar)
                .filter(|&y| y > 0.0 && y < 2.0)
                .collect();
            let n = ys.len() as i64;
            let got = dy_dkappa(
                m,
                &Tensor::full([n], kappa, (Kind::Double, Device::Cpu)),
                &Tensor::from_slice(&ys),
            );
            for (i, &y) in ys.iter().enumerate() {
                let r = reference(m, kappa, y);
                let err = (got.double_value(&[i as i64]) - r).abs() / r.abs();
                if err.is_nan() || err > worst.0 {
                    worst = (err, m, kappa, y);
                }
            }
        }
    }
    // Observed: < 3e-12 except where y ≈ 2 − 2e-6, where the reference's θ = 2 asin(√(y/2))
    // itself loses digits (7.7e-11 at m = 1001, κ = 1e-3).
    assert!(
        worst.0 < 1e-10,
        "worst relative error {:e} at (m, κ, y) = {:?}",
        worst.0,
        (worst.1, worst.2, worst.3)
    );
}

#[test]
fn matches_adaptive_reference() {
    check_grid(
        &[2, 3, 5],
        &[0.0, 1e-3, 2.0, 50.0, 1e6],
        &[1e-3, 0.5, 1.1, 5.0],
    );
}

/// The full grid up to m = 1001 (~4 minutes: the adaptive reference is slow for large m). Run
/// with `cargo test --release -p mvl-manifold --lib matches_adaptive_reference_full -- --ignored`.
#[test]
#[ignore = "slow reference quadrature (~4 min)"]
fn matches_adaptive_reference_full() {
    check_grid(
        &[2, 3, 4, 5, 9, 33, 129, 1001],
        &[0.0, 1e-3, 1.0, 2.0, 50.0, 1e4, 1e6],
        &[1e-3, 0.1, 0.5, 0.9, 1.0, 1.1, 2.0, 5.0, 20.0],
    );
}

#[test]
fn agrees_with_explicit_gradient_on_the_two_sphere() {
    // On S² the inverse CDF is explicit; autograd through it is an independent dy/dκ (for
    // κ ≥ 0.1: below, its two terms of size 1/κ cancel to ~1e-16/κ² relative).
    let v = Tensor::from_slice(&[1e-6f64, 0.01, 0.3, 0.5, 0.8, 0.999]);
    for kappa in [0.1, 1.0, 30.0, 1e5] {
        let k = differentiable(&Tensor::full([6], kappa, (Kind::Double, Device::Cpu)));
        let y = inverse_cdf_y(&k, &v);
        let explicit = grad_of_sum(&y, &k);
        let implicit = dy_dkappa(3, &k.detach(), &y.detach());
        let err = ((implicit - &explicit) / explicit.abs())
            .abs()
            .max()
            .double_value(&[]);
        assert!(err < 1e-10, "κ = {kappa}: relative error {err:e}");
    }
}

#[test]
fn poles_have_zero_slope() {
    for m in [2i64, 3, 5, 40] {
        let y = Tensor::from_slice(&[0.0f64, 2.0]);
        let k = Tensor::from_slice(&[3.0f64, 3.0]);
        let slope = dy_dkappa(m, &k, &y);
        assert_eq!(
            Vec::<f64>::try_from(&slope).expect("f64"),
            vec![0.0, 0.0],
            "m = {m}"
        );
    }
}
