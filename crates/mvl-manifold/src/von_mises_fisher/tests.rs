use super::sample::rotate_from_pole;
use super::*;
use crate::bessel::{mean_resultant_length, mean_resultant_length_derivative};
use crate::integration::Grid;
use crate::metric::max_abs;
use crate::testing::check_energy;
use std::f64::consts::PI;

const CPU64: (Kind, Device) = (Kind::Double, Device::Cpu);

fn vmf(loc: &[f64], kappa: &[f64]) -> VonMisesFisher {
    let m = loc.len() as i64 / kappa.len() as i64;
    VonMisesFisher::new(
        &Tensor::from_slice(loc).view([-1, m]),
        &Tensor::from_slice(kappa),
    )
    .expect("valid parameters")
}

#[test]
fn new_reports_each_invalid_argument() {
    let loc = Tensor::from_slice(&[1.0f64, 0.0, 0.0]).view([1, 3]);
    let err = |l: &Tensor, k: &Tensor| VonMisesFisher::new(l, k).expect_err("invalid");
    assert_eq!(
        err(&loc.view([3]), &Tensor::from_slice(&[1.0f64])),
        ManifoldError::ShapeMismatch {
            what: "VonMisesFisher loc",
            expected: "[b, m]".into(),
            got: vec![3]
        }
    );
    assert_eq!(
        err(&loc.narrow(1, 0, 1), &Tensor::from_slice(&[1.0f64])),
        ManifoldError::InvalidDimension {
            what: "VonMisesFisher",
            min: 2,
            got: 1
        }
    );
    assert_eq!(
        err(&loc, &Tensor::from_slice(&[1.0f64, 2.0])),
        ManifoldError::ShapeMismatch {
            what: "VonMisesFisher concentration",
            expected: "[1]".into(),
            got: vec![2]
        }
    );
    assert_eq!(
        err(&loc, &Tensor::from_slice(&[-0.5f64])),
        ManifoldError::InvalidConcentration(-0.5)
    );
    assert_eq!(
        err(&loc, &Tensor::from_slice(&[f64::INFINITY])),
        ManifoldError::InvalidConcentration(f64::INFINITY)
    );
    assert!(matches!(
        err(&loc, &Tensor::from_slice(&[f64::NAN])),
        ManifoldError::InvalidConcentration(k) if k.is_nan()
    ));
    assert_eq!(
        err(&loc.zeros_like(), &Tensor::from_slice(&[1.0f64])),
        ManifoldError::InvalidMeanDirection(0.0)
    );
    // Huge and tiny entries are normalised without overflow or underflow.
    for big in [1e200, 1e-200] {
        let loc = Tensor::from_slice(&[big, big, 0.0]).view([1, 3]);
        let unit = vmf_of(&loc).loc().shallow_clone();
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!(
            (unit - Tensor::from_slice(&[h, h, 0.0]).view([1, 3]))
                .abs()
                .max()
                .double_value(&[])
                < 1e-15
        );
    }
    let inf = Tensor::from_slice(&[f64::INFINITY, 0.0, 0.0]).view([1, 3]);
    assert_eq!(
        err(&inf, &Tensor::from_slice(&[1.0f64])),
        ManifoldError::InvalidMeanDirection(f64::INFINITY)
    );
}

#[test]
fn closed_forms_on_the_two_sphere() {
    // m = 3: C_3(κ) = κ/(4π sinh κ), A_3(κ) = coth κ − 1/κ (Mardia & Jupp 2000, §9.3.2).
    let kappas = [1e-3, 0.5, 2.0, 30.0];
    let d = vmf(
        &[0.0, 0.0, 5.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0],
        &kappas,
    );
    for (i, &k) in kappas.iter().enumerate() {
        let i = i as i64;
        let log_c = (k / (4.0 * PI * k.sinh())).ln();
        assert!(
            (d.log_normalizer().double_value(&[i]) - log_c).abs() < 1e-13 * (1.0 + log_c.abs())
        );
        let a = 1.0 / k.tanh() - 1.0 / k;
        let tol = if k < 0.01 { 1e-9 } else { 1e-14 }; // coth κ − 1/κ itself cancels for small κ
        assert!((d.mean_resultant_length().double_value(&[i]) - a).abs() < tol);
    }
    // κ = 0 is uniform: ln C = −ln 4π, H = ln 4π (to the 5e-15 of `ln_gamma`), KL = 0 exactly.
    let u = vmf(&[0.0, 1.0, 0.0], &[0.0]);
    assert!((u.log_normalizer().double_value(&[0]) + (4.0 * PI).ln()).abs() < 5e-15);
    assert!((u.entropy().double_value(&[0]) - (4.0 * PI).ln()).abs() < 5e-15);
    assert_eq!(u.kl_to_uniform().double_value(&[0]), 0.0);
}

/// ln C against closed forms into the thousands, where exp(κ) overflows: on S²
/// ln C = ln κ − ln 2π − κ − ln(1 − e^{−2κ}) (Mardia & Jupp 2000, eq. 9.3.5, rearranged); on
/// S¹ ln C = −ln 2π − ln I₀(κ) with I₀ from its power series (DLMF 10.25.2) up to κ = 50 and
/// its large-argument expansion e^κ/√(2πκ)·(1 + 1/(8κ) + 9/(128κ²) + 225/(3072κ³) +
/// 11025/(98304κ⁴)) (DLMF 10.40.1; next term < 1e-19 relative at κ ≥ 1000) beyond.
#[test]
fn log_normalizer_matches_closed_forms_for_large_kappa() {
    for k in [1e-6f64, 0.5, 3.0, 50.0, 700.0, 5000.0, 1e5, 1e6] {
        let want = k.ln() - (2.0 * PI).ln() - k - (-(-2.0 * k).exp_m1()).ln();
        let got = vmf(&[0.0, 0.0, 1.0], &[k])
            .log_normalizer()
            .double_value(&[0]);
        assert!(
            (got - want).abs() < 1e-12 * (1.0 + want.abs()),
            "S², κ = {k}: {got}"
        );
    }
    let series = |k: f64| -> f64 {
        let (mut term, mut sum) = (1.0f64, 1.0f64);
        for j in 1..400 {
            term *= k * k / (4 * j * j) as f64;
            sum += term;
        }
        sum.ln()
    };
    let asymptotic = |k: f64| -> f64 {
        let tail = [1.0 / 8.0, 9.0 / 128.0, 225.0 / 3072.0, 11025.0 / 98304.0];
        let poly: f64 = tail.iter().rev().fold(0.0, |acc, a| (acc + a) / k);
        k - 0.5 * (2.0 * PI * k).ln() + poly.ln_1p()
    };
    for k in [0.0, 2.0, 50.0, 1000.0, 5000.0] {
        let log_i0 = if k <= 50.0 { series(k) } else { asymptotic(k) };
        let want = -(2.0 * PI).ln() - log_i0;
        let got = vmf(&[0.6, -0.8], &[k]).log_normalizer().double_value(&[0]);
        assert!(
            (got - want).abs() < 1e-12 * (1.0 + want.abs()),
            "S¹, κ = {k}: {got}"
        );
    }
}

#[test]
fn kl_to_uniform_matches_reference_values() {
    // paper-spec §7.1 (six decimals, computed with SciPy by the spec's authors).
    let table = [
        (3, [0.151596, 0.479409, 1.995732, 4.298317]),
        (9, [0.054729, 0.209701, 2.519875, 10.580755]),
        (33, [0.015132, 0.060293, 1.348124, 20.988508]),
    ];
    for (m, values) in table {
        let kappas = [1.0, 2.0, 10.0, 100.0];
        let mut loc = vec![0.0; 4 * m];
        (0..4).for_each(|i| loc[i * m] = 1.0);
        let d = vmf(&loc, &kappas);
        let kl = d.kl_to_uniform();
        let via_entropy = -d.entropy() + log_sphere_area(m as i64 - 1);
        assert!(max_abs(&(&kl - via_entropy)) < 1e-12);
        for (i, v) in values.iter().enumerate() {
            assert!(
                (kl.double_value(&[i as i64]) - v).abs() < 5e-7,
                "m = {m}, κ = {}",
                kappas[i]
            );
        }
    }
}

/// ∫ p over S¹ (trapezoid rule, 4000 points) and S² (Gauss–Legendre, 400 × 800 nodes).
fn integrals(circle: &VonMisesFisher, sphere: &VonMisesFisher) -> (f64, f64) {
    let g1 = Grid::circle(4000).expect("valid");
    let g2 = Grid::sphere2(400, 800).expect("valid");
    let integral =
        |g: &Grid, d: &VonMisesFisher| g.log_integral(&d.log_prob(&g.points)).expect("[N]").exp();
    (integral(&g1, circle), integral(&g2, sphere))
}

#[test]
fn log_prob_integrates_to_one_on_circle_and_sphere() {
    for k in [0.0, 1e-3, 1.0, 50.0, 500.0] {
        let circle = vmf(&[0.6, -0.8], &[k]);
        let sphere = vmf(&[0.48, -0.6, 0.64], &[k]);
        let (on_circle, on_sphere) = integrals(&circle, &sphere);
        assert!((on_circle - 1.0).abs() < 1e-12, "S¹, κ = {k}");
        assert!((on_sphere - 1.0).abs() < 1e-10, "S², κ = {k}");
    }
}

#[test]
fn energy_is_negative_log_prob_with_closed_form_gradient() {
    let _seed = crate::testing::seeded(4);
    let x = Tensor::randn([6, 4], CPU64);
    let x = &x / x.square().sum_dim_intlist(1, true, Kind::Double).sqrt();
    check_energy(&vmf(&[1.0, -2.0, 0.5, 0.0], &[3.0]), &x); // one row broadcast over 6 points
    let per_row = VonMisesFisher::new(&Tensor::randn([6, 4], CPU64), &Tensor::rand([6], CPU64))
        .expect("valid");
    check_energy(&per_row, &x);
}

#[test]
fn reflection_is_exact_at_and_near_the_poles() {
    // He₁ = μ and HᵀH = I for μ = ±e₁, within 1e-12 of them, and generic μ; no NaN.
    let eps = 1e-12;
    let raw: [[f64; 4]; 6] = [
        [1.0, 0.0, 0.0, 0.0],
        [-1.0, 0.0, 0.0, 0.0],
        [1.0, eps, -eps, 0.0],
        [-1.0, 0.0, eps, eps],
        [0.0, 1.0, 0.0, 0.0],
        [0.3, -0.4, 0.5, -0.7],
    ];
    for mu in raw {
        let loc = Tensor::from_slice(&mu).view([1, 4]);
        let loc = &loc / loc.norm();
        // Columns H e_j: e₁ is (c = 1, σ = 0); e_{j+1} is (c = 0, σ = 1, t = e_j).
        let mut cols = vec![rotate_from_pole(
            &loc,
            &Tensor::ones([1], CPU64),
            &Tensor::zeros([1], CPU64),
            &Tensor::zeros([1, 3], CPU64),
        )];
        for j in 0..3 {
            let t = Tensor::eye(3, CPU64).get(j).view([1, 3]);
            cols.push(rotate_from_pole(
                &loc,
                &Tensor::zeros([1], CPU64),
                &Tensor::ones([1], CPU64),
                &t,
            ));
        }
        // He₁ = μ bit for bit: c = 1, σ = 0 leaves (μ₁·1, 1·μ₂..).
        assert_eq!(max_abs(&(&cols[0] - &loc)), 0.0, "He₁ ≠ μ for {mu:?}");
        let h = Tensor::cat(&cols, 0); // row j = H e_j, i.e. Hᵀ
        let gram = h.transpose(0, 1).matmul(&h) - Tensor::eye(4, CPU64);
        assert!(max_abs(&gram) < 1e-15, "H not orthogonal for {mu:?}");
        assert!(h.isfinite().all().int64_value(&[]) == 1);
    }
}

#[test]
fn samples_are_unit_vectors_of_the_right_kind_and_shape() {
    let _seed = crate::testing::seeded(5);
    let d = VonMisesFisher::new(
        &Tensor::from_slice(&[0.0f32, 0.0, 1.0, 1.0, 0.0, 0.0]).view([2, 3]),
        &Tensor::from_slice(&[1e4f32, 0.0]),
    )
    .expect("valid");
    let x = d.sample(7);
    assert_eq!((x.size(), x.kind()), (vec![7, 2, 3], Kind::Float));
    assert!(max_abs(&(x.square().sum_dim_intlist(2, false, Kind::Float) - 1.0)) < 1e-6);
    assert_eq!(d.rsample(3).size(), vec![3, 2, 3]);
    // κ = 1e12 at μ = −e₁: every sample is μ to ~1e-6, and never NaN.
    let sharp = vmf(&[-1.0, 0.0, 0.0, 0.0, 0.0], &[1e12]);
    for x in [sharp.sample(1000), sharp.rsample(1000)] {
        let dev = x.view([1000, 5]) - sharp.loc();
        assert!(max_abs(&dev) < 1e-5 && dev.isfinite().all().int64_value(&[]) == 1);
    }
}

#[test]
fn samples_are_reproducible_under_manual_seed() {
    let d = vmf(&[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &[7.0]);
    let _seed = crate::testing::seeded(11);
    let a = d.sample(3000);
    tch::manual_seed(11);
    let b = d.sample(3000);
    assert_eq!(max_abs(&(a - b)), 0.0);
}

#[test]
fn rsample_gradients_reach_loc_and_concentration() {
    let _seed = crate::testing::seeded(6);
    let loc = Tensor::from_slice(&[0.2f64, 0.9, -0.3])
        .view([1, 3])
        .set_requires_grad(true);
    let kappa = Tensor::from_slice(&[4.0f64]).set_requires_grad(true);
    let d = VonMisesFisher::new(&loc, &kappa).expect("valid");
    let x = d.rsample(50);
    let a = Tensor::from_slice(&[1.0f64, -2.0, 0.5]);
    (x * a).sum(Kind::Double).backward();
    let (gl, gk) = (loc.grad(), kappa.grad());
    assert!(gl.isfinite().all().int64_value(&[]) == 1 && max_abs(&gl) > 0.0);
    assert!(gk.isfinite().all().int64_value(&[]) == 1 && max_abs(&gk) > 0.0);
}

#[test]
fn fit_reports_each_invalid_input() {
    let one = Tensor::from_slice(&[1.0f64, 0.0, 0.0]).view([1, 3]);
    assert_eq!(
        VonMisesFisher::fit(&one).expect_err("one point"),
        ManifoldError::NotEnoughData {
            what: "VonMisesFisher::fit",
            min: 2,
            got: 1
        }
    );
    let same = one.expand([5, 3], false).contiguous();
    assert_eq!(
        VonMisesFisher::fit(&same).expect_err("coincident"),
        ManifoldError::InfiniteConcentration(1.0)
    );
    let off = Tensor::from_slice(&[1.0f64, 0.0, 0.0, 0.0, 2.0, 0.0]).view([2, 3]);
    assert!(matches!(
        VonMisesFisher::fit(&off),
        Err(ManifoldError::OffManifold { row: 1, .. })
    ));
    assert!(matches!(
        VonMisesFisher::fit(&one.view([3])),
        Err(ManifoldError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        VonMisesFisher::fit(&Tensor::ones([4, 1], CPU64)),
        Err(ManifoldError::InvalidDimension {
            what: "VonMisesFisher::fit",
            min: 2,
            got: 1
        })
    ));
}

#[test]
fn fit_recovers_direction_and_concentration() {
    // N = 20 000 draws at m = 5, κ = 10. Asymptotically sd(κ̂) = 1/√(N A′(κ)) (Fisher
    // information A′ per point) and the angle of μ̂ has sd √((m−1)/(N κ A)); 5 sd bounds have
    // false-alarm rate < 1e-6 each.
    let _seed = crate::testing::seeded(7);
    let (m, k, n) = (5i64, 10.0, 20_000i64);
    let truth = vmf(&[0.5, 0.5, 0.5, -0.5, 0.0], &[k]);
    let fitted = VonMisesFisher::fit(&truth.sample(n).view([n, m])).expect("fit");
    let sd_k = 1.0 / (n as f64 * mean_resultant_length_derivative(m, k)).sqrt();
    let k_hat = fitted.concentration().double_value(&[0]);
    assert!((k_hat - k).abs() < 5.0 * sd_k, "κ̂ = {k_hat}, sd {sd_k}");
    let sd_angle = ((m - 1) as f64 / (n as f64 * k * mean_resultant_length(m, k))).sqrt();
    let cos = (fitted.loc() * truth.loc())
        .sum(Kind::Double)
        .double_value(&[]);
    assert!(cos.min(1.0).acos() < 5.0 * sd_angle);
}

#[test]
fn solve_concentration_inverts_the_mean_resultant_length() {
    for m in [2i64, 3, 10, 200, 5001] {
        for k in [1e-6, 0.3, 5.0, 120.0, 3e4, 1e6] {
            let r = mean_resultant_length(m, k);
            let back = solve_concentration(m, r, f64::INFINITY);
            // Conditioning: dκ/κ = (dR/R)·R/(κ A′) with dR ≈ 1e-16.
            let cond = 1e-16 * r / (k * mean_resultant_length_derivative(m, k));
            assert!(
                (back - k).abs() <= k * (1e-12 + 20.0 * cond),
                "m = {m}, κ = {k}: {back}"
            );
        }
    }
    assert_eq!(solve_concentration(3, 0.0, 1e6), 0.0);
    assert_eq!(solve_concentration(3, 1.0, 1e6), 1e6);
    assert_eq!(
        solve_concentration(3, mean_resultant_length(3, 2e6), 1e6),
        1e6
    );
}

/// At concentrations near f64::MAX (where 2κ overflows) the rejection sampler still accepts:
/// the samples are the mean direction (m = 5; host and tensor paths).
fn vmf_of(loc: &Tensor) -> VonMisesFisher {
    VonMisesFisher::new(loc, &Tensor::from_slice(&[1.0f64])).expect("valid")
}

#[test]
fn sampling_terminates_at_the_largest_concentrations() {
    let _seed = crate::testing::seeded(11);
    for kappa in [1e300, 1e308, f64::MAX] {
        let loc = Tensor::from_slice(&[0.0f64, 1.0, 0.0, 0.0, 0.0]).view([1, 5]);
        let vmf = VonMisesFisher::new(&loc, &Tensor::from_slice(&[kappa])).expect("valid");
        let draws = [vmf.sample(8).view([8, 5]), vmf.rsample(8).view([8, 5])];
        for x in draws {
            let err = (&x - &loc).abs().max().double_value(&[]);
            assert!(err < 1e-12, "κ = {kappa}: {err}");
        }
    }
}
