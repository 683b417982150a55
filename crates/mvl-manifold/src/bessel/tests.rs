use super::*;

#[test]
fn ln_gamma_matches_closed_forms() {
    // Γ(n) = (n−1)!, Γ(1/2) = √π, and ln Γ(1000.5) from mpmath.
    assert!(ln_gamma(1.0).abs() < 1e-14);
    assert!(ln_gamma(2.0).abs() < 1e-14);
    assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
    assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-13);
    let mp = 5_908.674_175_848_678; // mpmath.loggamma(1000.5)
    assert!((ln_gamma(1000.5) - mp).abs() < 1e-12 * mp);
    assert!(ln_gamma(0.0).is_nan() && ln_gamma(-1.0).is_nan());
}

#[test]
fn half_integer_orders_have_closed_forms() {
    // I_{1/2}(x) = √(2/(πx)) sinh x, I_{3/2}(x) = √(2/(πx)) (cosh x − sinh x/x) (DLMF 10.39.1
    // and the recurrence 10.29.1), checked where the three regimes apply (the closed forms for
    // the order 3/2 and the ratio cancel for x < 1, so they are checked from x = 2).
    let pre = |x: f64| 0.5 * (2.0 / (std::f64::consts::PI * x)).ln();
    let i_half = pre(0.3) + 0.3f64.sinh().ln();
    assert!((log_iv(0.5, 0.3) - i_half).abs() < 1e-14);
    for x in [2.0f64, 17.0, 40.0, 300.0] {
        let i_half = pre(x) + x.sinh().ln();
        let i_3half = pre(x) + (x.cosh() - x.sinh() / x).ln();
        let tol = 1e-14 * (1.0 + i_half.abs());
        assert!((log_iv(0.5, x) - i_half).abs() < tol, "x = {x}");
        assert!((log_iv(1.5, x) - i_3half).abs() < tol, "x = {x}");
        let ratio = 1.0 / x.tanh() - 1.0 / x;
        assert!(
            (bessel_ratio(0.5, x) - ratio).abs() < 1e-15 * ratio,
            "x = {x}"
        );
    }
}

#[test]
fn limits_and_domain() {
    assert_eq!(log_iv(0.0, 0.0), 0.0);
    assert_eq!(log_iv(2.0, 0.0), f64::NEG_INFINITY);
    assert_eq!(bessel_ratio(3.0, 0.0), 0.0);
    assert_eq!(log_iv_normalized(7.0, 0.0), 0.0);
    assert!(log_iv(-1.0, 1.0).is_nan() && bessel_ratio(1.0, -1.0).is_nan());
    assert!(mean_resultant_length(1, 1.0).is_nan());
    assert_eq!(mean_resultant_length_derivative(5, 0.0), 0.2);
}

#[test]
fn derivative_matches_finite_differences() {
    for (d, k) in [(2, 0.5), (5, 2.0), (33, 40.0), (1001, 300.0)] {
        let h = 1e-5 * k;
        let fd = (mean_resultant_length(d, k + h) - mean_resultant_length(d, k - h)) / (2.0 * h);
        let exact = mean_resultant_length_derivative(d, k);
        assert!((fd - exact).abs() < 1e-7 * exact, "d = {d}, κ = {k}");
    }
    // The value quoted in the task: dA_5/dκ(2) = 0.14739 (peers.md, own closed form).
    assert!((mean_resultant_length_derivative(5, 2.0) - 0.14739).abs() < 5e-6);
}
