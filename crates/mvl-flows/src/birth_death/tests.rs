//! Unit tests of the birth-death Langevin flow.

use super::*;
use crate::testing::check_flow;
use crate::{FlowError, Langevin};
use mvl_manifold::max_abs;
use mvl_manifold::{FnEnergy, Manifold, Sphere};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

fn far_quadratic(x: &Tensor) -> Tensor {
    (x - 3.0).square().sum_dim_intlist(-1, false, x.kind()) / 2.0
}

#[test]
fn conformance_flat_and_on_the_sphere() {
    let _seed = mvl_manifold::testing::seeded(61);
    let steep = FnEnergy::new(|y: &Tensor| y.select(1, 0) * -20.0);
    for kind in [Kind::Double, Kind::Float] {
        let opts = (kind, Device::Cpu);
        let x = Tensor::randn([16, 2], opts);
        check_flow(
            &BirthDeathLangevin::new(1e-3).expect("valid"),
            &FnEnergy::new(far_quadratic),
            &x,
        );
        let fixed = BirthDeathLangevin::new(1e-3)
            .and_then(|f| f.bandwidth(Bandwidth::Fixed(0.3)))
            .expect("valid");
        check_flow(&fixed.rescaled(true), &FnEnergy::new(far_quadratic), &x);
        let sphere = Sphere::new(2).expect("valid");
        let y = sphere.project(&Tensor::randn([16, 3], opts));
        check_flow(
            &BirthDeathLangevin::new(1e-4).expect("valid").on(sphere),
            &steep,
            &y,
        );
    }
}

/// Sequential semantics: later events see the slots rewritten by earlier ones; no jump
/// with u = 0 or zero rates; the event threshold is exactly exp(−|β̄|τ).
#[test]
fn jump_sources_semantics() {
    let none = jump_sources(&[3.0, -3.0, 1.0], &[1.0; 3], &[0.0; 3], &[0.5; 3]);
    assert_eq!(none, vec![0, 1, 2]);
    assert_eq!(
        jump_sources(&[0.0; 3], &[1.0; 3], &[0.99; 3], &[0.5; 3]),
        vec![0, 1, 2]
    );
    // 0 duplicates onto slot 1 (partner ⌊0.2·2⌋ = 0 → skip self → 1); then 2 dies and copies
    // slot 1, which now holds particle 0; then 3 is duplicated onto slot 0.
    let sigma = jump_sources(
        &[-1.0, 0.0, 2.0, -1.0],
        &[10.0; 4],
        &[0.9, 0.0, 0.9, 0.9],
        &[0.2, 0.0, 0.5, 0.0],
    );
    assert_eq!(sigma, vec![3, 0, 0, 3]);
    let threshold = (-0.5f64 * 2.0).exp();
    assert_eq!(
        jump_sources(&[0.5, 0.0], &[2.0, 2.0], &[threshold, 0.0], &[0.0; 2]),
        vec![0, 1]
    );
    let above = threshold + 1e-12;
    assert_eq!(
        jump_sources(&[0.5, 0.0], &[2.0, 2.0], &[above, 0.0], &[0.0; 2]),
        vec![1, 1]
    );
    assert_eq!(jump_sources(&[5.0], &[1.0], &[0.9], &[0.9]), vec![0]);
}

/// Particles evenly spaced on a circle have equal density estimates, so the centred rates
/// are s(E − mean E); their θ-derivative for E = θ·y₁ is s(y₁ − mean y₁).
#[test]
fn rates_on_a_symmetric_configuration() {
    let t = Tensor::arange(8, F64) * (std::f64::consts::PI / 4.0) + 0.1;
    let y = Tensor::stack(&[t.cos(), t.sin()], 1);
    let theta = Tensor::from(1.5f64).set_requires_grad(true);
    let e = FnEnergy::new(|y: &Tensor| y.select(1, 0) * &theta);
    let flow = BirthDeathLangevin::new(0.1)
        .and_then(|f| f.energy_scale(0.5))
        .expect("valid");
    let rates = flow.rates(&e, &y).expect("rates");
    let centred = y.select(1, 0) - y.select(1, 0).mean(Kind::Double);
    assert!(max_abs(&(&rates - &centred * 0.75)) < 1e-12);
    let w = Tensor::randn([8], F64);
    let g = Tensor::run_backward(&[(&rates * &w).sum(Kind::Double)], &[&theta], false, false);
    let expected = (centred * 0.5 * w).sum(Kind::Double);
    assert!((&g[0] - expected).abs().double_value(&[]) < 1e-12);
}

/// The step is the Langevin step gathered by σ; `energy` stays the input's.
#[test]
fn step_is_a_gather_of_langevin_proposals() {
    let _seed = mvl_manifold::testing::seeded(62);
    let x = Tensor::randn([64, 2], F64);
    let e = FnEnergy::new(far_quadratic);
    let noise = Noise {
        normal: Tensor::randn([64, 2], F64),
        uniform: Tensor::rand([64, 2], F64),
    };
    let flow = BirthDeathLangevin::new(0.5)
        .and_then(|f| f.energy_scale(0.5))
        .expect("valid");
    let parts = flow.step_parts(&e, &x, &noise).expect("step");
    let plain = Langevin::new(0.5)
        .and_then(|f| f.energy_scale(0.5))
        .expect("valid");
    let lnoise = Noise {
        normal: noise.normal.shallow_clone(),
        uniform: Tensor::zeros([64, 0], F64),
    };
    let l = plain.step_with(&e, &x, &lnoise).expect("step");
    assert!(max_abs(&(&parts.langevin.next - &l.next)) < 1e-15);
    let source = parts.source.shallow_clone();
    assert!(
        source
            .ne_tensor(&Tensor::arange(64, (Kind::Int64, Device::Cpu)))
            .any()
            .int64_value(&[])
            == 1,
        "some jumps expected"
    );
    assert!(parts.rates.sum(Kind::Double).abs().double_value(&[]) < 1e-12);
    let step = flow.step_with(&e, &x, &noise).expect("step");
    assert!(max_abs(&(&step.next - l.next.index_select(0, &source))) < 1e-15);
    let diffusion = step.diffusion.expect("some");
    assert!(max_abs(&(diffusion - l.diffusion.expect("some").index_select(0, &source))) < 1e-15);
    assert!(max_abs(&(step.energy - l.energy)) < 1e-15);
}

#[test]
fn bad_input_is_reported() {
    // Its steps draw noise: under the suites' seed lock, so as not to shift the draws of tests
    // that hold it.
    let _seed = mvl_manifold::testing::seeded(63);
    assert!(matches!(
        BirthDeathLangevin::new(1.0).and_then(|f| f.jump_rate_scale(0.0)),
        Err(FlowError::InvalidParameter {
            name: "jump rate scale",
            value: 0.0,
            ..
        })
    ));
    assert!(matches!(
        BirthDeathLangevin::new(1.0).and_then(|f| f.bandwidth(Bandwidth::Fixed(0.0))),
        Err(FlowError::InvalidParameter {
            name: "bandwidth",
            value: 0.0,
            ..
        })
    ));
    let flow = BirthDeathLangevin::new(0.1).expect("valid");
    let x = Tensor::zeros([4, 2], F64);
    let one_uniform = Noise {
        normal: Tensor::zeros([4, 2], F64),
        uniform: Tensor::zeros([4, 1], F64),
    };
    assert!(matches!(
        flow.step_with(&FnEnergy::new(far_quadratic), &x, &one_uniform),
        Err(FlowError::ShapeMismatch {
            what: "uniform noise",
            ..
        })
    ));
    let sphere = Sphere::new(1).expect("valid");
    let y = sphere.project(&Tensor::randn([4, 2], F64));
    let inf = FnEnergy::new(|y: &Tensor| y.select(1, 0) / 0.0);
    assert!(matches!(
        flow.on(sphere).rates(&inf, &y),
        Err(FlowError::NonFinite { .. })
    ));
}
