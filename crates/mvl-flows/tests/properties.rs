//! Property tests of every flow with bad values (issue 14): arbitrary shapes, kinds (f32,
//! f64, i64) and values (NaN, ±∞, 0, huge, tiny), flat and on manifolds, with energies of the
//! points' kind or of another one. Every step returns a typed error or a finite step (the
//! crate's rule: never a panic, never a silent NaN). Each property prints its calls and
//! typed errors (`cargo test --release -p mvl-flows --test properties -- --nocapture`).

use mvl_flows::kernel::{Bandwidth, log_kde, svgd_direction};
use mvl_flows::{
    BirthDeathLangevin, FlowError, GradientFlow, Langevin, Noise, RiemannianLangevin, Spos,
    SposNoise, StepRule, Svgd, jump_sources,
};
use mvl_manifold::testing::props::{Tally, batch, run, value};
use mvl_manifold::{Energy, FnEnergy, GaussianEnergy, Manifold, PoincareBall, Sphere};
use proptest::prelude::*;
use tch::{Device, Kind, Tensor};

/// Points of S² (some at the poles, some antipodal) in f32 or f64.
fn sphere_points() -> impl Strategy<Value = Tensor> {
    let row = prop_oneof![
        2 => prop::collection::vec(-1.0..1.0f64, 3),
        1 => prop::sample::select(vec![vec![0.0, 0.0, 1.0], vec![0.0, 0.0, -1.0]]),
    ];
    (prop::collection::vec(row, 1..=5), prop::bool::ANY).prop_map(|(rows, f32)| {
        let b = rows.len() as i64;
        let y = Tensor::from_slice(&rows.concat()).view([b, 3]) + 1e-3;
        let y = Sphere::new(2).expect("valid").project(&y);
        if f32 { y.to_kind(Kind::Float) } else { y }
    })
}

/// A step must be an error or finite, in the points' kind.
fn step(tally: &Tally, flow: &dyn GradientFlow, energy: &dyn Energy, y: &Tensor) {
    if let Some(step) = tally.record(flow.step(energy, y)) {
        for t in [&step.next, &step.energy, &step.step_size] {
            assert!(t.isfinite().all().int64_value(&[]) == 1, "{flow:?} {y:?}");
        }
        assert_eq!(step.next.kind(), y.kind(), "{flow:?}");
    }
}

fn quadratic(x: &Tensor) -> Tensor {
    x.square().sum_dim_intlist(-1, false, x.kind()) / 2.0
}

/// E in f64 whatever the points' kind.
fn double_quadratic(x: &Tensor) -> Tensor {
    quadratic(&x.to_kind(Kind::Double))
}

/// A network-like energy that takes width 3 only but does not declare it (`input_dim` is
/// `None`): on other widths libtorch fails inside it, which the flows report as
/// `FlowError::Energy`.
fn undeclared_width_three(x: &Tensor) -> Tensor {
    x.matmul(&Tensor::ones([3], (x.kind(), x.device())))
}

/// Energies of width 3 (closed form, f64), of any width, of another kind, and of width 3
/// undeclared.
fn energies() -> Vec<Box<dyn Energy>> {
    let mean = Tensor::from_slice(&[0.5f64, -1.0, 2.0]);
    vec![
        Box::new(GaussianEnergy::new(&mean, 0.7).expect("valid")),
        Box::new(FnEnergy::new(quadratic)),
        Box::new(FnEnergy::new(double_quadratic)),
        Box::new(FnEnergy::new(undeclared_width_three)),
    ]
}

fn flat_flows(eps: f64) -> Vec<Box<dyn GradientFlow>> {
    vec![
        Box::new(Langevin::new(eps).expect("valid")),
        Box::new(Langevin::new(eps).expect("valid").metropolis(true)),
        Box::new(Svgd::new(eps).expect("valid").rescaled(true)),
        Box::new(Spos::new(eps).expect("valid").noise(SposNoise::Balanced)),
        Box::new(BirthDeathLangevin::new(eps).expect("valid")),
    ]
}

fn sphere_flows(eps: f64) -> Vec<Box<dyn GradientFlow>> {
    let s = Sphere::new(2).expect("valid");
    vec![
        Box::new(
            RiemannianLangevin::new(s, eps)
                .expect("valid")
                .metropolis(true),
        ),
        Box::new(Svgd::new(eps).expect("valid").on(s)),
        Box::new(Spos::new(eps).expect("valid").on(s)),
        Box::new(BirthDeathLangevin::new(eps).expect("valid").on(s)),
        Box::new(
            Svgd::new(eps)
                .expect("valid")
                .on(PoincareBall::new(3).expect("valid")),
        ),
    ]
}

#[test]
fn every_flow_steps_or_fails_with_a_typed_error() {
    let strategy = (
        batch(vec![3]),
        sphere_points(),
        prop::sample::select(vec![1e-3, 0.5, 1e6]),
    );
    run("mvl-flows steps", 40, strategy, |(y, s, eps), tally| {
        for e in energies() {
            for flow in flat_flows(eps).iter().chain(&sphere_flows(eps)) {
                step(tally, flow.as_ref(), e.as_ref(), &y);
                step(tally, flow.as_ref(), e.as_ref(), &s);
            }
        }
        let bd = BirthDeathLangevin::new(eps).expect("valid");
        tally.record(bd.rates(&FnEnergy::new(quadratic), &y));
        tally.record(bd.rates(&FnEnergy::new(undeclared_width_three), &y));
    });
}

#[test]
fn explicit_noise_of_any_shape_is_checked() {
    let noise =
        (batch(vec![3]), batch(vec![3])).prop_map(|(normal, uniform)| Noise { normal, uniform });
    run(
        "mvl-flows step_with",
        32,
        (batch(vec![3]), noise),
        |(y, noise), tally| {
            let e = FnEnergy::new(quadratic);
            for flow in flat_flows(1e-2) {
                if let Some(step) = tally.record(flow.step_with(&e, &y, &noise)) {
                    assert!(step.next.isfinite().all().int64_value(&[]) == 1, "{flow:?}");
                }
            }
        },
    );
}

#[test]
fn constructors_and_builders_validate_any_value() {
    let strategy = (value(), value());
    run("mvl-flows constructors", 64, strategy, |(a, b), tally| {
        tally.record(StepRule::new(a).and_then(|r| r.with_scale(b)));
        tally.record(Langevin::new(a).and_then(|f| f.energy_scale(b)));
        tally.record(Svgd::new(a).and_then(|f| f.bandwidth(Bandwidth::Fixed(b))));
        tally.record(Spos::new(a).and_then(|f| f.alpha(b)));
        tally.record(BirthDeathLangevin::new(a).and_then(|f| f.jump_rate_scale(b)));
        let s = Sphere::new(2).expect("valid");
        tally.record(RiemannianLangevin::new(s, a));
        tally.record(Bandwidth::Fixed(a).validated());
    });
}

/// The kernel functions and jump sources take any values of the documented shapes.
#[test]
fn kernel_and_jumps_take_any_values() {
    let slices = prop::collection::vec(prop::collection::vec(value(), 0..=5), 4);
    run(
        "mvl-flows kernel",
        48,
        (batch(vec![3]), slices),
        |(x, v), _| {
            let sources = jump_sources(&v[0], &v[1], &v[2], &v[3]);
            assert_eq!(sources.len(), v[0].len());
            assert!(
                sources
                    .iter()
                    .all(|&s| s >= 0 && (s as usize) < v[0].len().max(1))
            );
            if x.dim() == 2 && x.size()[0] > 0 && x.is_floating_point() {
                let h = Bandwidth::Fixed(0.5);
                assert_eq!(svgd_direction(&x, &x, h).size(), x.size());
                assert_eq!(log_kde(&x, Bandwidth::Median).size(), vec![x.size()[0]]);
            }
        },
    );
}

/// The misleading message of issue 14: an antipodal pair on S² has no batch chart.
#[test]
fn antipodal_pair_reports_the_undefined_chart() {
    let s = Sphere::new(2).expect("valid");
    let y = Tensor::from_slice(&[0.0f64, 0.0, 1.0, 0.0, 0.0, -1.0]).view([2, 3]);
    let e = FnEnergy::new(|y: &Tensor| y.select(1, 0));
    let flows: Vec<Box<dyn GradientFlow>> = vec![
        Box::new(Svgd::new(0.1).expect("valid").on(s)),
        Box::new(Spos::new(0.1).expect("valid").on(s)),
        Box::new(BirthDeathLangevin::new(0.1).expect("valid").on(s)),
    ];
    for flow in flows {
        assert!(
            matches!(
                flow.step(&e, &y),
                Err(FlowError::ChartUndefined { row: 1, .. })
            ),
            "{flow:?}"
        );
    }
    // An empty batch is refused by flat and manifold flows alike; NaN energies are errors.
    let empty = Tensor::zeros([0, 3], (Kind::Double, Device::Cpu));
    for flow in flat_flows(0.1).iter().chain(&sphere_flows(0.1)) {
        assert!(matches!(
            flow.step(&e, &empty),
            Err(FlowError::ShapeMismatch { .. })
        ));
    }
    let nan = FnEnergy::new(|y: &Tensor| y.select(1, 0) * f64::NAN);
    let mala = Langevin::new(0.1).expect("valid").metropolis(true);
    let x = Tensor::ones([3, 3], (Kind::Double, Device::Cpu));
    assert!(matches!(
        mala.step(&nan, &x),
        Err(FlowError::NonFinite {
            what: "energy",
            row: 0,
            ..
        })
    ));
}

/// Every flow, flat and on S², given an energy that fails on the points' width without
/// declaring it, returns `FlowError::Energy` naming the flow and the points' shape.
#[test]
fn an_energy_failing_inside_libtorch_is_a_typed_error() {
    let e = FnEnergy::new(undeclared_width_three);
    let flat = Tensor::ones([4, 5], (Kind::Double, Device::Cpu));
    let sphere = Sphere::new(3)
        .expect("valid")
        .project(&(flat.narrow(1, 0, 4) + 0.1));
    let s3 = Sphere::new(3).expect("valid");
    let on_s3: Vec<Box<dyn GradientFlow>> = vec![
        Box::new(
            RiemannianLangevin::new(s3, 0.1)
                .expect("valid")
                .metropolis(true),
        ),
        Box::new(Svgd::new(0.1).expect("valid").on(s3)),
        Box::new(BirthDeathLangevin::new(0.1).expect("valid").on(s3)),
    ];
    let cases = flat_flows(0.1)
        .into_iter()
        .map(|f| (f, &flat))
        .chain(on_s3.into_iter().map(|f| (f, &sphere)));
    for (flow, y) in cases {
        match flow.step(&e, y) {
            Err(FlowError::Energy {
                flow: name,
                shape,
                message,
            }) => {
                assert_eq!(shape, y.size(), "{name}");
                assert!(!message.is_empty(), "{name}");
            }
            other => panic!("{flow:?}: expected FlowError::Energy, got {other:?}"),
        }
    }
}
