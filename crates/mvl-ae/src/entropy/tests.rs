//! Statistical tests of the entropy-gradient estimator against closed forms.
//!
//! Each test estimates dH/dθ for a distribution with a learnable parameter θ per sample
//! (θᵢ = θ for N independent rows, so the gradient with respect to θᵢ is the i-th sample's
//! contribution /N) and applies a two-sided z-test of the sample mean against the exact
//! value with the sample standard error. Family: 4 tests (two Gaussians, two vMFs), overall
//! level 1e-4 by Bonferroni, so each test rejects at |z| > 4.26 (two-sided 2.5e-5).

use super::*;
use mvl_manifold::testing::seeded;
use mvl_manifold::{Euclidean, GaussianEnergy, Sphere, VonMisesFisher};
use tch::{Device, Kind};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);
const Z_CRIT: f64 = 4.26;

/// (mean, standard error) of the per-sample contributions N·gᵢ.
fn mean_and_se(grad: &Tensor) -> (f64, f64) {
    let n = grad.numel() as f64;
    let per = grad * n;
    let mean = per.mean(Kind::Double).double_value(&[]);
    let sd = per.std(true).double_value(&[]);
    (mean, sd / n.sqrt())
}

fn z_test(what: &str, got: (f64, f64), exact: f64) {
    let z = (got.0 - exact) / got.1;
    assert!(
        z.abs() < Z_CRIT,
        "{what}: estimate {} ± {} vs exact {exact} (z = {z:.2})",
        got.0,
        got.1
    );
}

/// N(0, σ²I) on R^n, z = σε, with its exact energy |z|²/(2σ²) (σ held fixed in the energy):
/// dH/dσ = n/σ. Per-sample contribution |ε|²/σ, standard deviation √(2n)/σ: with N = 50 000
/// the standard error is 0.37 % of n/σ at n = 3 (0.22 % at n = 8), so a 2 % bias shifts z by
/// 5.5 (9.0) and is detected with power 0.90 (> 0.999); a 3 % bias with power > 0.999.
#[test]
fn gaussian_scale_gradient_is_n_over_sigma() {
    let _seed = seeded(41);
    let n_samples = 50_000;
    for (n, s) in [(3, 0.5), (8, 2.0)] {
        let sigma = Tensor::full([n_samples, 1], s, F64).set_requires_grad(true);
        let z = Tensor::randn([n_samples, n], F64) * &sigma;
        let energy = GaussianEnergy::new(&Tensor::zeros([n], F64), s).expect("valid");
        let flat = Euclidean::new(n).expect("valid");
        entropy_surrogate(&flat, &energy, &z).backward();
        z_test(
            &format!("Gaussian n = {n}, σ = {s}"),
            mean_and_se(&sigma.grad()),
            n as f64 / s,
        );
    }
}

/// vMF(μ, κ) on S^{m−1} with z = rsample (implicit reparameterisation in κ) and the vMF's
/// own energy −κμᵀz (κ held fixed): dH/dκ from `VonMisesFisher::entropy` by autograd
/// (closed form −κA′(κ)). The ambient score −κμ has a normal component, which the tangent
/// projection removes. N = 20 000 per case; the per-sample standard deviations (measured:
/// 0.41·|dH/dκ| at m = 5, κ = 2; 1.0·|dH/dκ| at m = 3, κ = 10) give standard errors of
/// 0.29 % and 0.71 % of the target, so a 5 % bias (the pathwise sampler gradient without its
/// correction term is ~13 % low at m = 5, κ = 2) shifts z by 17 (7.0) and is detected with
/// power > 0.99 in both cases.
#[test]
fn vmf_concentration_gradient_matches_the_entropy_derivative() {
    let _seed = seeded(42);
    let n_samples = 20_000;
    for (m, k) in [(5, 2.0), (3, 10.0)] {
        let loc = Tensor::ones([1, m], F64);
        let kappa = Tensor::full([1], k, F64).set_requires_grad(true);
        VonMisesFisher::new(&loc, &kappa)
            .expect("valid")
            .entropy()
            .sum(Kind::Double)
            .backward();
        let exact = kappa.grad().double_value(&[0]);
        let kappas = Tensor::full([n_samples], k, F64).set_requires_grad(true);
        let locs = loc.expand([n_samples, m], false);
        let q = VonMisesFisher::new(&locs, &kappas).expect("valid");
        let z = q.rsample(1).squeeze_dim(0);
        let energy = VonMisesFisher::new(&loc, &Tensor::full([1], k, F64)).expect("valid");
        let sphere = Sphere::new(m - 1).expect("valid");
        entropy_surrogate(&sphere, &energy, &z).backward();
        z_test(
            &format!("vMF m = {m}, κ = {k}"),
            mean_and_se(&kappas.grad()),
            exact,
        );
    }
}

/// The energy's own parameters receive no gradient from the surrogate.
#[test]
fn the_energy_gets_no_gradient() {
    let _seed = seeded(43);
    let w = Tensor::from(1.5f64).set_requires_grad(true);
    let energy = mvl_manifold::FnEnergy::new(|z: &Tensor| {
        z.square().sum_dim_intlist(1, false, Kind::Double) * &w
    });
    let phi = Tensor::from(0.7f64).set_requires_grad(true);
    let z = Tensor::randn([64, 2], F64) * &phi;
    entropy_surrogate(&Euclidean::new(2).expect("valid"), &energy, &z).backward();
    assert!(!w.grad().defined() || w.grad().double_value(&[]) == 0.0);
    assert!(phi.grad().double_value(&[]) > 0.0);
}
