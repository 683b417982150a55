//! Property tests of the public API with bad values (issue 14): arbitrary shapes, kinds (f32,
//! f64, i64) and values (NaN, ±∞, 0, huge, tiny). Every fallible call must return `Ok` or a
//! typed error, never panic; infallible calls get inputs that meet their documented
//! preconditions (crate docs, "Errors and preconditions") and must then give finite values
//! wherever the docs promise them. Each property prints how many calls it made and how many
//! returned typed errors (`cargo test --release -p mvl-manifold --test properties --
//! --nocapture`).

use mvl_manifold::testing::props::{any_tensor, batch, kind, run, value};
use mvl_manifold::{
    Chart, Energy, Euclidean, GaussianEnergy, HypersphericalUniform, Manifold, PoincareBall,
    Sphere, TensorDistribution, VmfMixture, VonMisesFisher, WrappedNormalMixture, bessel,
};
use proptest::prelude::*;
use tch::{Device, Kind, Tensor};

fn finite(t: &Tensor) -> bool {
    t.isfinite().all().int64_value(&[]) == 1
}

/// The geometric maps at points that pass `check_points` are finite.
fn maps_are_finite<M: Manifold>(m: &M, y: &Tensor) {
    let chart = m.chart_at(y);
    let x = chart.coords(y);
    assert!(finite(&x) && finite(&chart.embed(&x)), "{m:?}");
    assert!(finite(&chart.half_log_det(&x)) && finite(&chart.inv_metric_div(&x)));
    assert!(finite(&m.project(y)) && finite(&m.to_tangent(y, y)));
}

#[test]
fn manifolds_check_any_tensor_and_map_valid_points() {
    let strategy = (-2..=4i64, any_tensor(), batch(vec![3, 0, 5]));
    run(
        "mvl-manifold manifolds",
        48,
        strategy,
        |(n, t, y), tally| {
            let sphere = tally.record(Sphere::new(n));
            let ball = tally.record(PoincareBall::new(n));
            let flat = tally.record(Euclidean::new(n));
            for t in [&t, &y] {
                if let Some(s) = sphere {
                    let p = t.is_floating_point().then(|| s.project(t));
                    for cand in [Some(t), p.as_ref()].into_iter().flatten() {
                        if tally.record(s.check_points(cand)).is_some() && cand.size()[0] > 0 {
                            maps_are_finite(&s, cand);
                            let d = s.dist(cand, cand);
                            assert!(finite(&d) && finite(&s.log(cand, cand)));
                        }
                    }
                }
                if let Some(b) = ball
                    && tally.record(b.check_points(t)).is_some()
                    && t.size()[0] > 0
                {
                    maps_are_finite(&b, t);
                    assert!(finite(&b.dist(t, t)) && finite(&b.exp(t, &t.zeros_like())));
                }
                if let Some(e) = flat
                    && tally.record(e.check_points(t)).is_some()
                    && t.size()[0] > 0
                {
                    maps_are_finite(&e, t);
                }
            }
            // Outside the ball the distance is NaN, as documented.
            if let Some(b) = ball {
                let out = Tensor::ones([1, n], (Kind::Double, Device::Cpu)) * 2.0;
                assert!(
                    b.dist(&out, &out.zeros_like())
                        .isnan()
                        .all()
                        .int64_value(&[])
                        == 1
                );
            }
        },
    );
}

#[test]
fn constructors_validate_any_tensor() {
    let strategy = (any_tensor(), any_tensor(), any_tensor(), value());
    run(
        "mvl-manifold constructors",
        64,
        strategy,
        |(a, b, c, s), tally| {
            tally.record(VonMisesFisher::new(&a, &b));
            tally.record(VmfMixture::new(&a, &b, &c));
            tally.record(WrappedNormalMixture::new(&a, &b, &c));
            tally.record(GaussianEnergy::new(&a, s));
            tally.record(VonMisesFisher::fit(&a));
            tally.record(HypersphericalUniform::new(s as i64));
            tally.record(VmfMixture::fit_em(&a, 2, 3, 0));
            let _ = bessel::log_iv(s, s.abs());
            let _ = bessel::log_ive_normalized(s.abs(), s);
            let _ = mvl_manifold::solve_concentration(3, s, 1e6);
        },
    );
}

/// Unit mean directions and concentrations anywhere in [0, 1e300].
fn vmf() -> impl Strategy<Value = (Tensor, Tensor)> {
    (2..=5i64, 1..=3i64, kind()).prop_flat_map(|(m, b, k)| {
        (
            prop::collection::vec(-3.0..3.0f64, (m * b) as usize),
            prop::collection::vec(
                prop_oneof![0.0..50.0f64, Just(0.0), 1e10..1e300f64],
                b as usize,
            ),
        )
            .prop_map(move |(loc, kappa)| {
                let loc = Tensor::from_slice(&loc).view([b, m]) + 0.01;
                (loc.to_kind(k), Tensor::from_slice(&kappa))
            })
    })
}

#[test]
fn distributions_sample_and_evaluate_finitely() {
    run(
        "mvl-manifold distributions",
        40,
        (vmf(), -2..=3i64),
        |((loc, kappa), n), tally| {
            let Some(d) = tally.record(VonMisesFisher::new(&loc, &kappa)) else {
                return;
            };
            let (b, m) = (d.batch_size(), d.dim());
            let x = d.sample(n);
            assert_eq!(x.size(), vec![n.max(0), b, m]);
            assert_eq!(d.rsample(n).size(), vec![n.max(0), b, m]);
            assert!(finite(&x) && finite(&d.log_prob(&x)));
            for t in [d.entropy(), d.kl_to_uniform(), d.mean(), d.log_normalizer()] {
                assert!(finite(&t), "{kappa:?}");
            }
            assert!(finite(&d.log_prob(&d.loc().unsqueeze(0))));
            let u = tally
                .record(HypersphericalUniform::new(m - 1))
                .expect("valid");
            assert_eq!(u.sample(n).size(), vec![n.max(0), m]);
            let w = Tensor::ones([b], (Kind::Double, Device::Cpu));
            if let Some(mix) = tally.record(VmfMixture::new(&loc, &kappa.clamp_max(1e6), &w)) {
                let s = mix.sample(n);
                assert!(finite(&s) && finite(&mix.log_prob(&s)) && finite(&mix.energy(&s)));
            }
            let centres = Tensor::zeros([1, 2], (Kind::Double, Device::Cpu));
            let sig = Tensor::from_slice(&[0.5f64]);
            let wn = tally
                .record(WrappedNormalMixture::new(&centres, &sig, &sig))
                .expect("valid");
            let s = wn.sample(n);
            assert!(s.size()[0] == n.max(0) && finite(&wn.log_prob(&s)));
        },
    );
}

/// At κ ≥ 1e15 the vMF stays exact: log_prob at the mode and the entropy on S² follow
/// ln κ − ln 2π and 1 + ln 2π − ln κ (from C₃(κ) = κ/(4π sinh κ), errors below 1/κ).
#[test]
fn vmf_at_huge_concentration_keeps_its_digits() {
    for kappa in [1e15f64, 1e16, 1e20, 1e100, 1e300] {
        let loc = Tensor::from_slice(&[0.0f64, 0.0, 1.0]).view([1, 3]);
        let d = VonMisesFisher::new(&loc, &Tensor::from_slice(&[kappa])).expect("valid");
        let lp = d.log_prob(&loc).double_value(&[0]);
        let two_pi = 2.0 * std::f64::consts::PI;
        assert!(
            (lp - (kappa.ln() - two_pi.ln())).abs() < 1e-12,
            "{kappa}: {lp}"
        );
        let h = d.entropy().double_value(&[0]);
        assert!(
            (h - (1.0 + two_pi.ln() - kappa.ln())).abs() < 1e-12,
            "{kappa}: {h}"
        );
    }
}
