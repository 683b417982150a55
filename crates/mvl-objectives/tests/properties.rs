//! Property tests of every objective with bad values (issue 14): arbitrary shapes, kinds (f32,
//! f64, i64) and values (NaN, ±∞, 0, huge, tiny), with energies that declare their width and
//! energies that do not. `per_sample` and `loss` return typed errors or values; a `loss` that
//! is `Ok` is finite (the crate's rule), and no call panics. Each property prints its calls
//! and typed errors (`cargo test --release -p mvl-objectives --test properties --
//! --nocapture`).

use mvl_flows::kernel::Bandwidth;
use mvl_manifold::{Energy, Euclidean, FnEnergy, GaussianEnergy, Sphere};
use mvl_objectives::{
    BatchKde, ContrastiveDivergence, DenoisingScoreMatching, KernelStein, MinimumVelocity,
    Objective, ObjectiveError, Projection, RateDensity, ScoreMatching, SlicedScoreMatching, VmfKde,
    WassersteinFisherRao,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use tch::{Kind, Tensor};

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -3.0..3.0f64,
        1 => prop::sample::select(vec![
            f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, 1e300, -1e300, 1e-300, 1e30,
        ]),
    ]
}

/// Tensors of rank 1..=3 (mostly `[b, 2]`), any kind and values.
fn batch() -> impl Strategy<Value = Tensor> {
    let shape = prop_oneof![
        4 => (0..=5i64).prop_map(|b| vec![b, 2]),
        1 => prop::collection::vec(0..=4i64, 1..=3),
    ];
    let kind = prop_oneof![Just(Kind::Double), Just(Kind::Float), Just(Kind::Int64)];
    (shape, kind)
        .prop_flat_map(|(s, k)| {
            let n: i64 = s.iter().product();
            (Just(s), Just(k), prop::collection::vec(value(), n as usize))
        })
        .prop_map(|(s, k, v)| Tensor::from_slice(&v).view(s.as_slice()).to_kind(k))
}

#[derive(Default)]
struct Tally {
    calls: Cell<u64>,
    errors: Cell<u64>,
}

impl Tally {
    fn record<T>(&self, r: Result<T, ObjectiveError>) -> Option<T> {
        self.calls.set(self.calls.get() + 1);
        r.map_err(|_| self.errors.set(self.errors.get() + 1)).ok()
    }
}

fn run<S: Strategy>(name: &str, cases: u32, strategy: S, f: impl Fn(S::Value, &Tally)) {
    let tally = Tally::default();
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&strategy, |v| {
            f(v, &tally);
            Ok(())
        })
        .expect("property holds");
    println!(
        "[properties] mvl-objectives {name}: {cases} cases, {} calls, {} typed errors",
        tally.calls.get(),
        tally.errors.get()
    );
}

fn quadratic(x: &Tensor) -> Tensor {
    x.square().sum_dim_intlist(-1, false, x.kind()) / 2.0
}

fn objectives() -> Vec<Box<dyn Objective>> {
    let r2 = Euclidean::new(2).expect("valid");
    vec![
        Box::new(MinimumVelocity::langevin(1e-3).expect("valid")),
        Box::new(ScoreMatching::euclidean(2).expect("valid")),
        Box::new(SlicedScoreMatching::new(2, Projection::Rademacher).expect("valid")),
        Box::new(DenoisingScoreMatching::new(0.1).expect("valid")),
        Box::new(ContrastiveDivergence::new(1e-3).expect("valid")),
        Box::new(KernelStein::new(Bandwidth::Median).expect("valid")),
        Box::new(WassersteinFisherRao::new(r2, 1e-3, BatchKde::new(r2), 1.0).expect("valid")),
        Box::new(MinimumVelocity::riemannian(Sphere::new(1).expect("valid"), 1e-3).expect("ok")),
    ]
}

#[test]
fn every_objective_evaluates_or_fails_with_a_typed_error() {
    run("objectives", 40, batch(), |x, tally| {
        let mean = Tensor::from_slice(&[0.5f64, -1.0]);
        let energies: Vec<Box<dyn Energy>> = vec![
            Box::new(GaussianEnergy::new(&mean, 0.8).expect("valid")),
            Box::new(FnEnergy::new(quadratic)),
        ];
        for e in &energies {
            for o in objectives() {
                tally.record(o.per_sample(e.as_ref(), &x));
                if let Some(loss) = tally.record(o.loss(e.as_ref(), &x)) {
                    assert!(loss.isfinite().int64_value(&[]) == 1, "{o:?}");
                }
            }
        }
    });
}

#[test]
fn constructors_validate_any_value() {
    let strategy = (value(), value(), -2..=3i64, batch());
    run("constructors", 64, strategy, |(a, b, k, t), tally| {
        tally.record(MinimumVelocity::langevin(a));
        tally.record(ContrastiveDivergence::new(a));
        tally.record(DenoisingScoreMatching::new(a));
        tally.record(KernelStein::new(Bandwidth::Fixed(a)));
        tally.record(KernelStein::fixed(b));
        tally.record(SlicedScoreMatching::new(k, Projection::Gaussian));
        tally.record(ScoreMatching::euclidean(k));
        let r2 = Euclidean::new(2).expect("valid");
        tally.record(WassersteinFisherRao::sampled(r2, a, b));
        tally.record(BatchKde::new(r2).bandwidth(Bandwidth::Fixed(a)));
        if let Some(kde) = tally.record(VmfKde::new(&t, b)) {
            tally.record(kde.log_density(&t));
        }
    });
}

/// The KSD's fixed bandwidth is checked (issue 14: h = −1 gave a loss of −6039).
#[test]
fn negative_bandwidth_is_refused() {
    assert!(matches!(
        KernelStein::new(Bandwidth::Fixed(-1.0)),
        Err(ObjectiveError::Flow(
            mvl_flows::FlowError::InvalidParameter { value: -1.0, .. }
        ))
    ));
    // A wrong width is a typed error from `per_sample` as from `loss`.
    let e = GaussianEnergy::new(&Tensor::zeros([3], (Kind::Double, tch::Device::Cpu)), 1.0);
    let x = Tensor::ones([4, 2], (Kind::Double, tch::Device::Cpu));
    for o in objectives() {
        let r = o.per_sample(e.as_ref().expect("valid"), &x);
        assert!(
            matches!(r, Err(ObjectiveError::ShapeMismatch { .. })),
            "{o:?}: {r:?}"
        );
    }
}
