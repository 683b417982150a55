//! Property tests of every objective with bad values (issue 14): arbitrary shapes, kinds (f32,
//! f64, i64) and values (NaN, ±∞, 0, huge, tiny), with energies that declare their width and
//! energies that do not. `per_sample` and `loss` return typed errors or values; a `loss` that
//! is `Ok` is finite (the crate's rule), and no call panics. Each property prints its calls
//! and typed errors (`cargo test --release -p mvl-objectives --test properties --
//! --nocapture`).

use mvl_flows::kernel::Bandwidth;
use mvl_manifold::testing::props::{batch, run, value};
use mvl_manifold::{Energy, Euclidean, FnEnergy, GaussianEnergy, Sphere};
use mvl_objectives::{
    BatchKde, ContrastiveDivergence, DenoisingScoreMatching, KernelStein, MinimumVelocity,
    Objective, ObjectiveError, Projection, RateDensity, ScoreMatching, SlicedScoreMatching, VmfKde,
    WassersteinFisherRao,
};
use tch::{Kind, Tensor};

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
    run(
        "mvl-objectives objectives",
        40,
        batch(vec![2]),
        |x, tally| {
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
        },
    );
}

#[test]
fn constructors_validate_any_value() {
    let strategy = (value(), value(), -2..=3i64, batch(vec![2]));
    run(
        "mvl-objectives constructors",
        64,
        strategy,
        |(a, b, k, t), tally| {
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
        },
    );
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
