//! Every objective through `MlpEnergy` (explicit ∇ₓE, forward Laplacian) against the same
//! network evaluated by autograd: equal losses and θ-gradients (f64), with the same noise.

use crate::{
    DenoisingScoreMatching, KernelStein, MinimumVelocity, Objective, Projection, ScoreMatching,
    SlicedScoreMatching,
};
use mvl_flows::Langevin;
use mvl_flows::kernel::Bandwidth;
use mvl_manifold::testing::seeded;
use mvl_manifold::{
    Activation, Energy, EnergyLaplacian, FnEnergy, Manifold, MlpEnergy, MlpForm, MlpSpec,
    PoincareBall, Sphere, max_abs,
};
use std::cell::Cell;
use tch::{Device, Kind, Tensor, nn};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);
const SEED: i64 = 1_616;

/// The tolerance of the comparisons, relative to 1 + the largest |reference entry|.
const TOL: f64 = 1e-10;

/// An f64 MLP energy on R^`dim` (weights fixed by `seed`) and its variable store.
fn mlp(dim: i64, spec: &MlpSpec, seed: i64) -> (nn::VarStore, MlpEnergy) {
    tch::manual_seed(seed);
    let mut vs = nn::VarStore::new(Device::Cpu);
    vs.set_kind(Kind::Double);
    let energy = MlpEnergy::new(&vs.root(), dim, spec).expect("valid");
    (vs, energy)
}

/// The loss of `objective` (with the suite's noise) and its gradient with respect to every
/// parameter of `vs`, flattened.
fn loss_and_grad(
    objective: &dyn Objective,
    energy: &dyn Energy,
    vs: &nn::VarStore,
    x: &Tensor,
) -> (Tensor, Tensor) {
    tch::manual_seed(SEED);
    let loss = objective.loss(energy, x).expect("finite loss");
    let vars = vs.trainable_variables();
    let grads = Tensor::run_backward(&[&loss], &vars, false, false);
    let flat: Vec<Tensor> = grads.iter().map(|g| g.flatten(0, -1)).collect();
    (loss.detach(), Tensor::cat(&flat, 0))
}

/// The worst relative deviation of the loss and θ-gradient through `explicit` from those
/// through the same network by autograd; panics above [`TOL`].
fn compare(
    objective: &dyn Objective,
    explicit: &MlpEnergy,
    vs: &nn::VarStore,
    x: &Tensor,
    what: &str,
) -> f64 {
    let autograd = FnEnergy::new(|x: &Tensor| explicit.energy(x));
    let (loss, grad) = loss_and_grad(objective, explicit, vs, x);
    let (auto_loss, auto_grad) = loss_and_grad(objective, &autograd, vs, x);
    let relative = |a: &Tensor, b: &Tensor| max_abs(&(a - b)) / (1.0 + max_abs(b));
    let worst = relative(&loss, &auto_loss).max(relative(&grad, &auto_grad));
    assert!(
        worst <= TOL,
        "{what}, {}: loss {} vs {}, relative deviation {worst:e}",
        objective.name(),
        loss.double_value(&[]),
        auto_loss.double_value(&[])
    );
    worst
}

fn specs() -> Vec<MlpSpec> {
    let mut all = Vec::new();
    for activation in [Activation::Tanh, Activation::Softplus, Activation::Sigmoid] {
        for form in [MlpForm::Scalar, MlpForm::InnerProduct] {
            all.push(MlpSpec::new(&[12, 10]).activation(activation).form(form));
        }
    }
    all
}

#[test]
fn every_objective_has_the_same_gradient_through_explicit_derivatives() {
    let _seed = seeded(SEED);
    let plane = Tensor::randn([24, 3], F64);
    let sphere = Sphere::new(2).expect("valid");
    let on_sphere = sphere.project(&Tensor::randn([24, 3], F64));
    let ball = PoincareBall::new(3).expect("valid");
    let in_ball = ball.project(&(Tensor::randn([24, 3], F64) * 0.3));
    let eps = 1e-3;
    // MVL through `MlpEnergy` takes the hand-written gradient (minimum_velocity/by_hand.rs):
    // with and without the control variate, per-row rescaling and another energy scale.
    let rescaled = Langevin::new(0.1)
        .and_then(|l| l.energy_scale(1.0))
        .expect("valid")
        .rescaled(true);
    let flat: Vec<Box<dyn Objective>> = vec![
        Box::new(MinimumVelocity::langevin(eps).expect("valid")),
        Box::new(
            MinimumVelocity::langevin(eps)
                .expect("valid")
                .control_variate(false),
        ),
        Box::new(MinimumVelocity::new(rescaled)),
        Box::new(DenoisingScoreMatching::new(0.1).expect("valid")),
        Box::new(
            DenoisingScoreMatching::new(0.1)
                .expect("valid")
                .control_variate(true),
        ),
        Box::new(SlicedScoreMatching::new(2, Projection::Gaussian).expect("valid")),
        Box::new(ScoreMatching::euclidean(3).expect("valid")),
        Box::new(KernelStein::new(Bandwidth::Median).expect("valid")),
    ];
    let curved: Vec<(Box<dyn Objective>, &Tensor)> = vec![
        (
            Box::new(MinimumVelocity::riemannian(sphere, eps).expect("valid")),
            &on_sphere,
        ),
        (Box::new(ScoreMatching::new(sphere)), &on_sphere),
        (
            Box::new(MinimumVelocity::riemannian(ball, eps).expect("valid")),
            &in_ball,
        ),
        (Box::new(ScoreMatching::new(ball)), &in_ball),
    ];
    let mut worst: f64 = 0.0;
    for (i, spec) in specs().iter().enumerate() {
        let (vs, energy) = mlp(3, spec, i as i64);
        let what = format!("{spec:?}");
        for objective in &flat {
            worst = worst.max(compare(objective.as_ref(), &energy, &vs, &plane, &what));
        }
        for (objective, y) in &curved {
            worst = worst.max(compare(objective.as_ref(), &energy, &vs, y, &what));
        }
    }
    println!("worst relative deviation of loss and θ-gradient: {worst:e}");
}

#[test]
fn exact_score_matching_by_forward_laplacian_equals_the_loop() {
    let _seed = seeded(SEED + 1);
    let mut worst: f64 = 0.0;
    for (k, d) in [1i64, 2, 17, 100].into_iter().enumerate() {
        let x = Tensor::randn([8, d], F64);
        let sm = ScoreMatching::euclidean(d).expect("valid");
        for (i, spec) in specs().iter().enumerate() {
            let (vs, energy) = mlp(d, spec, (10 * k + i) as i64);
            worst = worst.max(compare(
                &sm,
                &energy,
                &vs,
                &x,
                &format!("d = {d}, {spec:?}"),
            ));
        }
    }
    println!("worst relative deviation of exact SM and its θ-gradient: {worst:e}");
}

/// An MLP energy that counts the calls of its Laplacian.
#[derive(Debug)]
struct Counting<'a> {
    inner: &'a MlpEnergy,
    calls: Cell<usize>,
}

impl Energy for Counting<'_> {
    fn energy(&self, x: &Tensor) -> Tensor {
        self.inner.energy(x)
    }

    fn laplacian(&self, x: &Tensor) -> Option<EnergyLaplacian> {
        self.calls.set(self.calls.get() + 1);
        self.inner.laplacian(x)
    }
}

/// Exact SM takes the forward Laplacian in R^n and on the Poincaré ball (identity
/// embedding, conformal metric) and the autograd loop on the sphere.
#[test]
fn exact_score_matching_uses_the_laplacian_where_the_chart_allows() {
    let _seed = seeded(SEED + 2);
    let (_vs, inner) = mlp(3, &MlpSpec::new(&[8]), 0);
    let sphere = Sphere::new(2).expect("valid");
    let ball = PoincareBall::new(3).expect("valid");
    let cases: [(Box<dyn Objective>, Tensor, usize); 3] = [
        (
            Box::new(ScoreMatching::euclidean(3).expect("valid")),
            Tensor::randn([4, 3], F64),
            1,
        ),
        (
            Box::new(ScoreMatching::new(ball)),
            ball.project(&(Tensor::randn([4, 3], F64) * 0.3)),
            1,
        ),
        (
            Box::new(ScoreMatching::new(sphere)),
            sphere.project(&Tensor::randn([4, 3], F64)),
            0,
        ),
    ];
    for (objective, y, expected) in cases {
        let energy = Counting {
            inner: &inner,
            calls: Cell::new(0),
        };
        let loss = objective.loss(&energy, &y).expect("valid batch");
        assert!(loss.double_value(&[]).is_finite(), "{objective:?}");
        assert_eq!(energy.calls.get(), expected, "{objective:?}");
    }
}
