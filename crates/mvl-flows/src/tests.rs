//! Cross-flow unit tests: the energy's parameters receive gradients through `next`.

use crate::{BirthDeathLangevin, GradientFlow, Langevin, Noise, RiemannianLangevin, Spos, Svgd};
use mvl_manifold::{Energy, FnEnergy, Manifold, PoincareBall, Sphere};
use tch::{Device, Kind, Tensor};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// E_θ(y) = θ·f(y) for a parameter tensor θ (`[]`).
fn scaled<'a>(theta: &'a Tensor, f: fn(&Tensor) -> Tensor) -> impl Energy + 'a {
    FnEnergy::new(move |y: &Tensor| f(y) * theta)
}

fn half_sq(y: &Tensor) -> Tensor {
    (y - 0.5).square().sum_dim_intlist(-1, false, y.kind()) / 2.0
}

fn tilt(y: &Tensor) -> Tensor {
    y.select(1, 0) * -1.0 + y.select(1, 1) * 0.5
}

/// d(Σ w·next)/dθ at θ by autograd through the step (create_graph), and by central
/// differences of the same step with the same noise.
fn both_derivatives(
    flow: &dyn GradientFlow,
    f: fn(&Tensor) -> Tensor,
    y: &Tensor,
    theta0: f64,
) -> (f64, f64) {
    let noise = flow.draw_noise(y);
    let w = y.randn_like();
    let objective = |theta: &Tensor| -> Tensor {
        let next = flow
            .step_with(&scaled(theta, f), y, &noise)
            .expect("step")
            .next;
        (next * &w).sum(Kind::Double)
    };
    let theta = Tensor::from(theta0).set_requires_grad(true);
    let auto =
        Tensor::run_backward(&[objective(&theta)], &[&theta], false, false)[0].double_value(&[]);
    let h = 1e-6;
    let at = |t: f64| objective(&Tensor::from(t)).double_value(&[]);
    (auto, (at(theta0 + h) - at(theta0 - h)) / (2.0 * h))
}

/// A flow, the energy shape f of E_θ = θ·f, and the points to step from.
type Case<'a> = (Box<dyn GradientFlow>, fn(&Tensor) -> Tensor, &'a Tensor);

/// Asserts that autograd reaches θ through `next` and agrees with finite differences
/// (relative 1e-6): nothing is silently detached. The flows run without rescaling: with it,
/// εᵢ deliberately carries no gradient (paper-spec §2.1), so autograd omits ∂εᵢ/∂θ, which
/// finite differences would see.
fn assert_parameter_gradients(cases: &[Case]) {
    for (flow, f, y) in cases {
        let (auto, fd) = both_derivatives(flow.as_ref(), *f, y, 1.3);
        let name = flow.name();
        assert!(auto.abs() > 1e-3, "{name}: no gradient reaches θ ({auto})");
        assert!(
            (auto - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
            "{name}: autograd {auto} vs finite differences {fd}"
        );
    }
}

#[test]
fn parameter_gradients_pass_through_flat_flows() {
    let _seed = mvl_manifold::testing::seeded(71);
    let x = Tensor::randn([24, 2], F64);
    assert_parameter_gradients(&[
        (Box::new(Langevin::new(0.1).expect("valid")), half_sq, &x),
        (Box::new(Svgd::new(0.1).expect("valid")), half_sq, &x),
        (Box::new(Spos::new(0.1).expect("valid")), half_sq, &x),
        (
            Box::new(BirthDeathLangevin::new(0.1).expect("valid")),
            half_sq,
            &x,
        ),
    ]);
}

#[test]
fn parameter_gradients_pass_through_manifold_flows() {
    let _seed = mvl_manifold::testing::seeded(73);
    let sphere = Sphere::new(2).expect("valid");
    let on_sphere = sphere.project(&Tensor::randn([24, 3], F64));
    let ball = PoincareBall::new(2).expect("valid");
    let in_ball = Tensor::rand([24, 2], F64) - 0.5;
    assert_parameter_gradients(&[
        (
            Box::new(RiemannianLangevin::new(sphere, 0.05).expect("valid")),
            tilt,
            &on_sphere,
        ),
        (
            Box::new(
                RiemannianLangevin::new(ball, 0.01)
                    .expect("valid")
                    .metropolis(true),
            ),
            tilt,
            &in_ball,
        ),
        (
            Box::new(Svgd::new(0.05).expect("valid").on(sphere)),
            tilt,
            &on_sphere,
        ),
        (
            Box::new(Spos::new(0.05).expect("valid").on(ball)),
            tilt,
            &in_ball,
        ),
        (
            Box::new(BirthDeathLangevin::new(0.05).expect("valid").on(sphere)),
            tilt,
            &on_sphere,
        ),
    ]);
}

/// Analytic check for E = θ|x − ½|²/2: next = x − εsθ(x − ½) + ξ, so
/// d next/dθ = −εs(x − ½) row by row (no rescaling, so ε carries no θ-dependence).
#[test]
fn langevin_parameter_gradient_is_analytic() {
    let _seed = mvl_manifold::testing::seeded(72);
    let x = Tensor::randn([16, 3], F64);
    let theta = Tensor::from(2.0f64).set_requires_grad(true);
    let flow = Langevin::new(0.2)
        .and_then(|f| f.energy_scale(0.5))
        .expect("valid");
    let noise = Noise {
        normal: Tensor::randn([16, 3], F64),
        uniform: Tensor::zeros([16, 0], F64),
    };
    let next = flow
        .step_with(&scaled(&theta, half_sq), &x, &noise)
        .expect("step")
        .next;
    let w = Tensor::randn([16, 3], F64);
    let g = Tensor::run_backward(&[(next * &w).sum(Kind::Double)], &[&theta], false, false);
    let expected = ((&x - 0.5) * &w).sum(Kind::Double) * (-0.2 * 0.5);
    assert!((&g[0] - expected).abs().double_value(&[]) < 1e-12);
}
