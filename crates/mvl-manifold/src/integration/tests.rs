//! Each normaliser against a closed form on its manifold, the doubling rule, and the energy
//! evaluator's kind, device and gradient rules.

use super::*;
use crate::error::ManifoldError;
use crate::metric::row_norm_sq;
use crate::{FnEnergy, PoincareBall, Sphere};
use std::f64::consts::PI;
use tch::{Device, Kind, Tensor};

const CPU64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// E(y) = −κ μᵀy for a unit μ.
fn vmf_energy(mu: &[f64], kappa: f64) -> FnEnergy<impl Fn(&Tensor) -> Tensor> {
    let mu = Tensor::from_slice(mu);
    FnEnergy::new(move |y: &Tensor| y.matmul(&mu.to_kind(y.kind())) * -kappa)
}

/// ln I₀(κ) by its power series Σₖ (κ²/4)ᵏ/(k!)² (DLMF 10.25.2; positive terms, summed
/// until they stop mattering), independent of the crate's Bessel routines.
fn log_i0_series(kappa: f64) -> f64 {
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for k in 1..500 {
        term *= (kappa * kappa / 4.0) / (k * k) as f64;
        sum += term;
        if term < 1e-17 * sum {
            break;
        }
    }
    sum.ln()
}

/// ln(4π sinh κ/κ) = κ + ln 2π − ln κ + ln(1 − e^{−2κ}) (Mardia & Jupp 2000, eq. 9.3.5 with
/// p = 3), ln 4π at κ = 0.
fn log_z_sphere2(kappa: f64) -> f64 {
    if kappa == 0.0 {
        return (4.0 * PI).ln();
    }
    kappa + (2.0 * PI).ln() - kappa.ln() + (-(-2.0 * kappa).exp_m1()).ln()
}

/// S¹: log Z of e^{κμᵀy} is ln(2π I₀(κ)) (I₀ by its series), for κ up to 50.
#[test]
fn circle_normaliser_matches_bessel_i0() {
    let circle = Sphere::new(1).expect("valid");
    for kappa in [0.0, 2.0, 10.0, 50.0] {
        let e = vmf_energy(&[0.6, -0.8], kappa);
        let z = converged_log_z(&e, &circle, CPU64, 8, 1e-12, 4096).expect("S¹ has grids");
        let want = (2.0 * PI).ln() + log_i0_series(kappa);
        assert!(
            (z.value - want).abs() < 1e-11,
            "κ = {kappa}: {z:?} vs {want}"
        );
    }
}

/// S²: with n_θ = ⌈3√κ⌉ (at least 16) colatitudes log Z is within 1e-6 of the closed form up
/// to κ = 5000; a grid 4× coarser misses by more than 1e-3 at κ = 5000 (so the rule is
/// needed and the test can fail), and doubling from 16 finds a grid of at least 200.
#[test]
fn sphere_normaliser_matches_the_closed_form_up_to_kappa_5000() {
    let sphere = Sphere::new(2).expect("valid");
    let n_theta = |kappa: f64| ((3.0 * kappa.sqrt()).ceil() as usize).max(16);
    for kappa in [0.0, 1.0, 10.0, 100.0, 1000.0, 5000.0] {
        let e = vmf_energy(&[0.36, -0.48, 0.8], kappa);
        let want = log_z_sphere2(kappa);
        let got = Normaliser::new(&sphere, n_theta(kappa), CPU64)
            .expect("S² has grids")
            .log_z(&e)
            .expect("width 3");
        assert!((got - want).abs() < 1e-6, "κ = {kappa}: {got} vs {want}");
    }
    let e = vmf_energy(&[0.36, -0.48, 0.8], 5000.0);
    let want = log_z_sphere2(5000.0);
    let coarse = Normaliser::new(&sphere, n_theta(5000.0) / 4, CPU64).expect("grid");
    assert!((coarse.log_z(&e).expect("width 3") - want).abs() > 1e-3);
    let doubled = converged_log_z(&e, &sphere, CPU64, 16, 1e-7, 1600).expect("grid");
    assert!(
        (doubled.value - want).abs() < 1e-6 && doubled.resolution >= 200 && doubled.change <= 1e-7,
        "{doubled:?}"
    );
}

/// H²: ∫ e^{−3ρ} dvol = 2π ∫₀^∞ e^{−3ρ} sinh ρ dρ = π/4, truncated at ρ = 20 (the tail is
/// ~e^{−40}).
#[test]
fn disk_normaliser_matches_the_closed_form() {
    let ball = PoincareBall::new(2).expect("valid");
    let disk = GeodesicDisk::new(&ball, 20.0).expect("valid");
    let e = FnEnergy::new(|y: &Tensor| row_norm_sq(y).sqrt().arctanh() * 6.0);
    let z = converged_log_z(&e, &disk, CPU64, 16, 1e-10, 2048).expect("grid");
    assert!((z.value - (PI / 4.0).ln()).abs() < 1e-9, "{z:?}");
}

/// The doubling stops as soon as two grids agree: a vMF with κ = 300 needs n_θ ≈ 52, so
/// doubling from 16 stops by 128.
#[test]
fn doubling_stops_when_converged() {
    let sphere = Sphere::new(2).expect("valid");
    let e = vmf_energy(&[0.48, -0.6, 0.64], 300.0);
    let z = converged_log_z(&e, &sphere, CPU64, 16, 1e-8, 1024).expect("grid");
    assert!((z.value - log_z_sphere2(300.0)).abs() < 1e-8, "{z:?}");
    assert!(z.resolution <= 128 && z.change <= 1e-8, "{z:?}");
}

/// A normaliser in f32 evaluates the energy on f32 points; log Z agrees with f64 to f32
/// accuracy. The NLL of the mean direction is −ln p(μ) = ln Z − κ.
#[test]
fn normaliser_and_nll_in_the_energy_kind() {
    let sphere = Sphere::new(2).expect("valid");
    let kappa = 20.0;
    let mu = [0.0, 0.6, 0.8];
    let inner = vmf_energy(&mu, kappa);
    let seen = std::cell::Cell::new(None);
    let e = FnEnergy::new(|y: &Tensor| {
        seen.set(Some(y.kind()));
        crate::Energy::energy(&inner, y)
    });
    let f32_z = Normaliser::new(&sphere, 32, (Kind::Float, Device::Cpu))
        .expect("grid")
        .log_z(&e)
        .expect("any width");
    assert_eq!(seen.get(), Some(Kind::Float));
    assert!((f32_z - log_z_sphere2(kappa)).abs() < 1e-5, "{f32_z}");
    let at_mu = Tensor::from_slice(&mu).view([1, 3]);
    let got = nll(&e, &at_mu, log_z_sphere2(kappa)).expect("one point");
    assert!((got - (log_z_sphere2(kappa) - kappa)).abs() < 1e-12);
    assert_eq!(seen.get(), Some(Kind::Double));
}

/// The evaluator returns `[N]` f64 on the CPU, without a graph even when the energy has
/// trainable parameters, and the same values for every chunk size, up to f32 rounding: BLAS
/// may pick another kernel for 7 rows than for 100 (on some CPUs the last bits differ), while
/// a chunk misplaced or misaligned would change values by O(1) (|E| ~ 1.7 here).
#[test]
fn energies_are_chunked_without_gradients() {
    let _seed = crate::testing::seeded(1);
    let w = Tensor::randn([3], CPU64).set_requires_grad(true);
    let e = FnEnergy::new(|y: &Tensor| y.matmul(&w.to_kind(y.kind())));
    let points = Tensor::randn([100, 3], CPU64);
    let whole = energies(&e, &points, (Kind::Float, Device::Cpu), CHUNK_ROWS);
    assert_eq!((whole.size(), whole.kind()), (vec![100], Kind::Double));
    assert_eq!(whole.device(), Device::Cpu);
    assert!(!whole.requires_grad());
    let chunked = energies(&e, &points, (Kind::Float, Device::Cpu), 7);
    // 3-term f32 dot products: rounding below 4·3·2⁻²⁴·max|wᵢyᵢ|, far below 1e-5 here.
    assert!(whole.allclose(&chunked, 1e-5, 1e-5, false));
}

#[test]
fn unsupported_domains_are_typed_errors() {
    assert_eq!(
        Sphere::new(3).expect("valid").grid(8).map(|_| ()),
        Err(ManifoldError::UnsupportedDimension {
            what: "Sphere quadrature",
            supported: "1 or 2",
            got: 3
        })
    );
    let ball3 = PoincareBall::new(3).expect("valid");
    assert!(matches!(
        GeodesicDisk::new(&ball3, 5.0),
        Err(ManifoldError::UnsupportedDimension { got: 3, .. })
    ));
    let ball = PoincareBall::new(2).expect("valid");
    assert!(matches!(
        GeodesicDisk::new(&ball, -1.0),
        Err(ManifoldError::InvalidArgument { name: "radius", .. })
    ));
    assert!(matches!(
        Sphere::new(2).expect("valid").grid(0),
        Err(ManifoldError::InvalidArgument {
            name: "resolution",
            ..
        })
    ));
}
