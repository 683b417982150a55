//! The conformance suite of gradient flows (feature "testing"; always compiled for this
//! crate's own tests).
//!
//! Every flow adds a one-line test calling [`check_flow`]. The suite panics with a message
//! naming the flow and the property (it is a test helper).

use crate::flow::{GradientFlow, Noise, Step};
use mvl_manifold::Energy;
use mvl_manifold::max_abs;
use mvl_manifold::testing::devices;
use tch::{Kind, Tensor};

/// Checks a flow at the batch `x` (`[b, n]`, any float dtype, any device) against `energy`:
///
/// - [`GradientFlow::draw_noise`] has shapes `[b, noise_dim]` and `[b, uniforms]` and `x`'s
///   dtype and device;
/// - every field of the [`Step`] has its documented shape and `x`'s dtype and device; the
///   step sizes are finite, positive and carry no gradient; `accepted` is boolean;
/// - [`GradientFlow::step_with`] is deterministic given the noise;
/// - with zero noise (normal and uniform: no diffusion, MH accepts, no birth-death jump)
///   the diffusion term is zero and the batch mean of the energy decreases. The caller
///   chooses `x`, `energy` and the flow's step so that the energy part of the drift
///   dominates the metric terms (Riemannian flows) and the repulsion (SVGD), e.g. points
///   far from the energy's minimum and a small ε;
/// - [`GradientFlow::step`] and [`GradientFlow::sample`] run and keep shape, dtype and device,
///   and `sample` returns a tensor without gradient.
///
/// Runs on every device of [`mvl_manifold::testing::devices`], moving `x` there (the energy
/// must follow its input's device, as closures over `x` do).
pub fn check_flow(flow: &dyn GradientFlow, energy: &dyn Energy, x: &Tensor) {
    for device in devices() {
        check_flow_on(flow, energy, &x.to_device(device));
    }
}

fn check_flow_on(flow: &dyn GradientFlow, energy: &dyn Energy, x: &Tensor) {
    let noise = check_noise_draw(flow, x);
    let first = run(flow, energy, x, &noise);
    let again = run(flow, energy, x, &noise);
    let name = flow.name();
    assert_same(name, "next", &first.next, &again.next);
    assert_same(name, "step_size", &first.step_size, &again.step_size);
    if let (Some(a), Some(b)) = (&first.diffusion, &again.diffusion) {
        assert_same(name, "diffusion", a, b);
    }
    if let (Some(a), Some(b)) = (&first.accepted, &again.accepted) {
        assert!(a.equal(b), "{name}: accept decisions are not deterministic");
    }
    check_zero_noise(flow, energy, x, &noise);
    check_record(
        name,
        &flow
            .step(energy, x)
            .unwrap_or_else(|e| panic!("{name}: step failed: {e}")),
        x,
    );
    let sampled = flow
        .sample(energy, x, 2)
        .unwrap_or_else(|e| panic!("{name}: sample failed: {e}"));
    assert_eq!(sampled.size(), x.size(), "{name}: sample shape");
    assert_eq!(
        (sampled.kind(), sampled.device()),
        (x.kind(), x.device()),
        "{name}: sample dtype/device"
    );
    assert!(!sampled.requires_grad(), "{name}: sample must be detached");
}

/// Draws noise for `x` and checks its shapes, dtype and device.
fn check_noise_draw(flow: &dyn GradientFlow, x: &Tensor) -> Noise {
    let (name, b) = (flow.name(), x.size()[0]);
    let noise = flow.draw_noise(x);
    assert_eq!(
        noise.normal.size(),
        [b, flow.noise_dim(x)],
        "{name}: normal noise shape"
    );
    assert_eq!(
        noise.uniform.size(),
        [b, flow.uniforms()],
        "{name}: uniform noise shape"
    );
    for t in [&noise.normal, &noise.uniform] {
        assert_eq!(
            (t.kind(), t.device()),
            (x.kind(), x.device()),
            "{name}: noise dtype/device"
        );
    }
    noise
}

/// One step with the given noise, its record checked.
fn run(flow: &dyn GradientFlow, energy: &dyn Energy, x: &Tensor, noise: &Noise) -> Step {
    let name = flow.name();
    let step = flow
        .step_with(energy, x, noise)
        .unwrap_or_else(|e| panic!("{name}: step_with failed: {e}"));
    check_record(name, &step, x);
    step
}

/// With zero noise: no diffusion term, and the batch mean of the energy decreases.
fn check_zero_noise(flow: &dyn GradientFlow, energy: &dyn Energy, x: &Tensor, noise: &Noise) {
    let name = flow.name();
    let zero = Noise {
        normal: noise.normal.zeros_like(),
        uniform: noise.uniform.zeros_like(),
    };
    let quiet = run(flow, energy, x, &zero);
    if let Some(d) = &quiet.diffusion {
        assert_eq!(max_abs(d), 0.0, "{name}: diffusion without noise");
    }
    let mean_energy = |t: &Tensor| {
        energy
            .energy(&t.detach())
            .to_kind(Kind::Double)
            .mean(Kind::Double)
            .double_value(&[])
    };
    let (before, after) = (mean_energy(x), mean_energy(&quiet.next));
    assert!(
        after < before,
        "{name}: mean energy {before} → {after} does not decrease without noise"
    );
}

/// Shapes, dtypes and devices of a step record from `x`.
fn check_record(name: &str, step: &Step, x: &Tensor) {
    let b = x.size()[0];
    let same = |what: &str, t: &Tensor, size: &[i64]| {
        assert_eq!(t.size(), size, "{name}: {what} shape");
        assert_eq!(
            (t.kind(), t.device()),
            (x.kind(), x.device()),
            "{name}: {what} dtype/device"
        );
    };
    same("next", &step.next, &x.size());
    same("energy", &step.energy, &[b]);
    same("step_size", &step.step_size, &[b]);
    assert!(
        !step.step_size.requires_grad(),
        "{name}: step_size must carry no gradient"
    );
    let eps = step.step_size.to_kind(Kind::Double);
    let positive = eps
        .isfinite()
        .logical_and(&eps.gt(0.0))
        .all()
        .int64_value(&[])
        == 1;
    assert!(positive, "{name}: step sizes must be finite and > 0");
    if let Some(d) = &step.diffusion {
        same("diffusion", d, &[b]);
    }
    if let Some(a) = &step.accepted {
        assert_eq!(
            (a.size(), a.kind()),
            (vec![b], Kind::Bool),
            "{name}: accepted must be [b] bool"
        );
    }
}

/// Asserts two results of the same computation agree to rounding (exactly, on most backends).
fn assert_same(name: &str, what: &str, a: &Tensor, b: &Tensor) {
    let tol = if a.kind() == Kind::Double {
        1e-12
    } else {
        1e-5
    };
    let err = max_abs(&(a - b).to_kind(Kind::Double));
    assert!(
        err <= tol * (1.0 + max_abs(&a.to_kind(Kind::Double))),
        "{name}: {what} not deterministic ({err:e})"
    );
}
