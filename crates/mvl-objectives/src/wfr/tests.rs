//! Unit tests of the Wasserstein-Fisher-Rao objective.

use super::*;
use crate::{BatchKde, FnRateDensity, VmfKde};
use mvl_manifold::{Euclidean, FnEnergy, Sphere};
use std::f64::consts::PI;
use tch::{Device, Kind};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// The population variance and covariance of `[B]` tensors.
fn cov(a: &Tensor, b: &Tensor) -> f64 {
    ((a - a.mean(Kind::Double)) * (b - b.mean(Kind::Double)))
        .mean(Kind::Double)
        .double_value(&[])
}

/// With E = a·E₀ and E₀ = −log ρ̂ at the batch (ρ̂ the rate density itself, so q ∝ ρ̂ at a = 1),
/// the mean Fisher-Rao term is c·Cov(log ρ̂ + ½aE₀, aE₀) = c·a(a/2 − 1)·Var E₀ and its
/// a-derivative c·Cov(log ρ̂ + aE₀, E₀) = c(a − 1)·Var E₀ (docs/math.md): zero at a = 1 and
/// only there. Checked by autograd; the energy is the fixed vector a·E₀ (the Fisher-Rao
/// term evaluates E at the batch only).
fn check_vanishing<M: Manifold>(manifold: M, density: impl RateDensity + 'static, y: &Tensor) {
    let e0 = -density.log_density(y).expect("log ρ");
    let var = cov(&e0, &e0);
    assert!(var > 1e-3, "the test needs a non-constant density estimate");
    let c = 3.0;
    let wfr = WassersteinFisherRao::new(manifold, 1e-3, density, c).expect("valid");
    for a in [1.0, 0.5, 2.0] {
        let scale = Tensor::from(a).set_requires_grad(true);
        let (s, e) = (scale.shallow_clone(), e0.shallow_clone());
        let energy = FnEnergy::new(move |_: &Tensor| &e * &s);
        let fr = wfr.fisher_rao(&energy, y).expect("FR").mean(Kind::Double);
        let value = fr.double_value(&[]);
        let grad = Tensor::run_backward(&[fr], &[&scale], false, false)[0].double_value(&[]);
        let (want_value, want_grad) = (c * a * (a / 2.0 - 1.0) * var, c * (a - 1.0) * var);
        assert!(
            (value - want_value).abs() < 1e-10,
            "a = {a}: {value} vs {want_value}"
        );
        assert!(
            (grad - want_grad).abs() < 1e-10,
            "a = {a}: {grad} vs {want_grad}"
        );
        assert_eq!(grad.abs() < 1e-10, a == 1.0, "a = {a}: {grad}");
    }
}

#[test]
fn fisher_rao_gradient_vanishes_at_the_density_estimate() {
    let _seed = mvl_manifold::testing::seeded(91);
    for n in [1, 2] {
        let sphere = Sphere::new(n).expect("valid");
        let y = sphere.project(&Tensor::randn([200, n + 1], F64));
        let points = sphere.project(&Tensor::randn([40, n + 1], F64));
        check_vanishing(sphere, VmfKde::new(&points, 6.0).expect("valid"), &y);
        check_vanishing(sphere, BatchKde::new(sphere), &y);
    }
    let space = Euclidean::new(3).expect("valid");
    let x = Tensor::randn([200, 3], F64);
    check_vanishing(space, BatchKde::new(space), &x);
    let normal =
        FnRateDensity::new(|y: &Tensor| y.square().sum_dim_intlist(1, false, y.kind()) * -0.5);
    check_vanishing(space, normal, &x);
}

#[test]
fn a_rate_density_of_the_wrong_shape_is_an_error() {
    // The objectives draw noise: hold the suites' seed lock (mvl_manifold::testing::seeded).
    let _seed = mvl_manifold::testing::seeded(93);
    let space = Euclidean::new(2).expect("valid");
    let scalar = FnRateDensity::new(|y: &Tensor| y.sum(y.kind()));
    let wfr = WassersteinFisherRao::new(space, 1e-3, scalar, 1.0).expect("valid");
    let energy = FnEnergy::new(|y: &Tensor| y.select(1, 0));
    let x = Tensor::zeros([4, 2], F64);
    assert!(matches!(
        wfr.loss(&energy, &x),
        Err(ObjectiveError::ShapeMismatch { got, .. }) if got.is_empty()
    ));
}

/// Mean and standard error of `reps` draws of `loss`.
fn mean_se(reps: usize, mut loss: impl FnMut() -> f64) -> (f64, f64) {
    let values: Vec<f64> = (0..reps).map(|_| loss()).collect();
    let n = reps as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// The sampled form's mean loss against the expected form's on the batch `y`: the
/// expected-jump term is the mean of the sampled jumps' energy drop per unit time, up to the
/// factor B/(B − 1) (partners j ≠ i) and O(|β̄|cε) (first-order jump probabilities, sequential
/// jumps), together under 5 % of the Fisher-Rao term at cε = 0.008. Bound: 4 standard errors
/// (family-wise with the other manifold: false alarm < 10⁻⁴) plus that 5 %.
fn check_expected_is_the_sampled_mean<M: Manifold + Copy + 'static>(
    manifold: M,
    y: &Tensor,
    energy: &dyn Energy,
    reps: usize,
) -> (f64, f64) {
    let (eps, c) = (0.002, 4.0);
    let expected = WassersteinFisherRao::new(manifold, eps, BatchKde::new(manifold), c);
    let expected = expected.expect("valid");
    let sampled = WassersteinFisherRao::sampled(manifold, eps, c).expect("valid");
    let fr = expected
        .fisher_rao(energy, y)
        .expect("FR")
        .mean(Kind::Double);
    let fr = fr.double_value(&[]);
    let value = |o: &dyn Objective| o.loss(energy, y).expect("loss").double_value(&[]);
    let (mean_e, se_e) = mean_se(200, || value(&expected));
    let (mean_s, se_s) = mean_se(reps, || value(&sampled));
    let se = se_e.hypot(se_s);
    let bound = 4.0 * se + 0.05 * fr.abs();
    assert!(
        (mean_s - mean_e).abs() <= bound,
        "{manifold:?}: sampled {mean_s} ± {se_s}, expected {mean_e} ± {se_e} (FR part {fr})"
    );
    (fr, se)
}

/// In R^1 (128 fixed N(0, 1) points, E = 0.9y, so no step is rescaled): sampled form 2,000
/// draws, standard error ≈ 0.10 against a Fisher-Rao term ≈ 2.1; a Fisher-Rao part off by
/// half (≈ 1.07) exceeds the bound (≈ 0.53) by about 5 standard errors: power > 0.99 (the
/// last line asserts at least 3).
#[test]
fn expected_form_is_the_sampled_mean_on_the_line() {
    let _seed = mvl_manifold::testing::seeded(92);
    let line = Euclidean::new(1).expect("valid");
    let y = Tensor::randn([128, 1], F64);
    let energy = FnEnergy::new(|y: &Tensor| y.select(1, 0) * 0.9);
    let (fr, se) = check_expected_is_the_sampled_mean(line, &y, &energy, 2000);
    assert!(
        0.45 * fr.abs() - 4.0 * se > 3.0 * se,
        "too little power: {fr} ± {se}"
    );
}

/// On S^1 (two clusters of 96 and 32 points at angles 0 and π, E = 0.45y₁, which puts
/// more mass on the small cluster; chart gradients below 1, so no step is rescaled):
/// sampled form 1,500 draws, standard error ≈ 0.05 against a Fisher-Rao term ≈ 0.97; a
/// Fisher-Rao part off by half (≈ 0.48) exceeds the bound (≈ 0.24) by about 5 standard
/// errors: power > 0.99 (the last line asserts at least 3).
#[test]
fn expected_form_is_the_sampled_mean_on_the_circle() {
    let _seed = mvl_manifold::testing::seeded(93);
    let circle = Sphere::new(1).expect("valid");
    let modes = Tensor::cat(&[Tensor::zeros([96], F64), Tensor::full([32], PI, F64)], 0);
    let t = modes + Tensor::randn([128], F64) * 0.3;
    let y = Tensor::stack(&[t.cos(), t.sin()], 1);
    let energy = FnEnergy::new(|y: &Tensor| y.select(1, 0) * 0.45);
    let (fr, se) = check_expected_is_the_sampled_mean(circle, &y, &energy, 1500);
    assert!(
        0.45 * fr.abs() - 4.0 * se > 3.0 * se,
        "too little power: {fr} ± {se}"
    );
}
