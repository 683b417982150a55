//! The conformance suite ([`crate::testing::check_objective`]) over every objective of the
//! crate, with every flow, in R^2 and on S^1 and S^2.

mod mlp_energy;

use crate::testing::check_objective;
use crate::{
    BatchKde, ContrastiveDivergence, DenoisingScoreMatching, FnRateDensity, KernelStein,
    MinimumVelocity, Objective, Projection, RateDensity, ScoreMatching, SlicedScoreMatching,
    VmfKde, WassersteinFisherRao,
};
use mvl_flows::kernel::Bandwidth;
use mvl_flows::{BirthDeathLangevin, GradientFlow, Langevin, RiemannianLangevin, Spos, Svgd};
use mvl_manifold::{Euclidean, Manifold, Sphere};
use tch::{Device, Kind, Tensor};

const EPS: f64 = 1e-3;
const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// A fixed batch of 48 standard normal points in R^2 (|y| < 2 for most rows).
fn plane_batch() -> Tensor {
    let _seed = mvl_manifold::testing::seeded(81);
    Tensor::randn([48, 2], F64)
}

/// A fixed batch of 48 points on S^n.
fn sphere_batch(sphere: Sphere) -> Tensor {
    let _seed = mvl_manifold::testing::seeded(82);
    sphere.project(&Tensor::randn([48, sphere.ambient_dim()], F64))
}

/// MVL over `flow`, with its plain twin when the flow has a diffusion term.
fn check_mvl<F: GradientFlow + Clone>(flow: F, batch: &Tensor, diffusion: bool) {
    let mvl = MinimumVelocity::new(flow);
    let plain = mvl.clone().control_variate(false);
    check_objective(&mvl, batch, diffusion.then_some(&plain as &dyn Objective));
}

#[test]
fn minimum_velocity_with_every_flow_in_the_plane() {
    let x = plane_batch();
    let half = |f: Langevin| f.energy_scale(0.5).expect("valid");
    check_mvl(half(Langevin::new(EPS).expect("valid")), &x, true);
    let mala = half(Langevin::new(EPS).expect("valid").metropolis(true));
    check_mvl(mala, &x, true);
    let plane = Euclidean::new(2).expect("valid");
    check_mvl(
        RiemannianLangevin::new(plane, EPS)
            .and_then(|f| f.energy_scale(0.5))
            .expect("valid"),
        &x,
        true,
    );
    let svgd = Svgd::new(EPS).and_then(|f| f.energy_scale(0.5));
    check_mvl(svgd.expect("valid"), &x, false);
    let spos = Spos::new(EPS).and_then(|f| f.energy_scale(0.5));
    check_mvl(spos.expect("valid"), &x, true);
    let birth_death = BirthDeathLangevin::new(EPS).and_then(|f| f.energy_scale(0.5));
    check_mvl(birth_death.expect("valid"), &x, true);
}

#[test]
fn minimum_velocity_with_every_flow_on_spheres() {
    for n in [1, 2] {
        let sphere = Sphere::new(n).expect("valid");
        let y = sphere_batch(sphere);
        let mvl = MinimumVelocity::riemannian(sphere, EPS).expect("valid");
        check_mvl(mvl.flow().metropolis(true), &y, true);
        check_mvl(*mvl.flow(), &y, true);
        let svgd = Svgd::new(EPS).and_then(|f| f.energy_scale(0.5));
        check_mvl(svgd.expect("valid").on(sphere), &y, false);
        let spos = Spos::new(EPS).and_then(|f| f.energy_scale(0.5));
        check_mvl(spos.expect("valid").on(sphere), &y, true);
    }
}

#[test]
fn score_matching_family() {
    let x = plane_batch();
    check_objective(&ScoreMatching::euclidean(2).expect("valid"), &x, None);
    for n in [1, 2] {
        let sphere = Sphere::new(n).expect("valid");
        check_objective(&ScoreMatching::new(sphere), &sphere_batch(sphere), None);
    }
    for kind in [Projection::Gaussian, Projection::Rademacher] {
        let ssm = SlicedScoreMatching::new(2, kind).expect("valid");
        check_objective(&ssm, &x, None);
        check_objective(&ssm.variance_reduced(true), &x, None);
    }
    let dsm = DenoisingScoreMatching::new(0.03).expect("valid");
    check_objective(&dsm.control_variate(true), &x, Some(&dsm));
    check_objective(
        &KernelStein::new(Bandwidth::Median).expect("valid"),
        &x,
        None,
    );
    check_objective(&KernelStein::fixed(0.5).expect("valid"), &x, None);
}

#[test]
fn contrastive_divergence_in_the_plane_and_on_a_sphere() {
    let cd = ContrastiveDivergence::new(EPS).expect("valid");
    check_objective(&cd.control_variate(true), &plane_batch(), Some(&cd));
    let sphere = Sphere::new(2).expect("valid");
    let flow = RiemannianLangevin::new(sphere, EPS).expect("valid");
    let cd = ContrastiveDivergence::with_flow(flow);
    check_objective(&cd.control_variate(true), &sphere_batch(sphere), Some(&cd));
}

/// A Gaussian log-density centred at the origin, on the batch's device (a user-supplied rate
/// density in R^d).
fn gaussian_log_density() -> FnRateDensity<impl Fn(&Tensor) -> Tensor + Send> {
    FnRateDensity::new(|y: &Tensor| y.square().sum_dim_intlist(1, false, y.kind()) * -0.5)
}

/// Both forms of the Wasserstein-Fisher-Rao objective with their plain twins; the expected
/// form with the batch KDE and with the rate density that `density` makes.
fn check_wfr<M: Manifold + Copy + 'static, D: RateDensity + 'static>(
    manifold: M,
    density: impl Fn() -> D,
    batch: &Tensor,
) {
    let check_expected = |make: &dyn Fn() -> Box<dyn RateDensity>| {
        let wfr = || WassersteinFisherRao::new(manifold, EPS, make(), 2.0).expect("valid");
        check_objective(&wfr(), batch, Some(&wfr().control_variate(false)));
    };
    check_expected(&|| Box::new(BatchKde::new(manifold)));
    check_expected(&|| Box::new(density()));
    let sampled = WassersteinFisherRao::sampled(manifold, EPS, 2.0).expect("valid");
    let sampled_plain = sampled.clone().control_variate(false);
    check_objective(&sampled, batch, Some(&sampled_plain));
}

#[test]
fn wasserstein_fisher_rao_in_the_plane_and_on_spheres() {
    let plane = Euclidean::new(2).expect("valid");
    check_wfr(plane, gaussian_log_density, &plane_batch());
    for n in [1, 2] {
        let sphere = Sphere::new(n).expect("valid");
        let y = sphere_batch(sphere);
        let points = y.narrow(0, 0, 16);
        check_wfr(sphere, || VmfKde::new(&points, 4.0).expect("valid"), &y);
    }
}

/// `loss_and_moved_energy` is `loss` (same draws) plus E at the step's proposals; objectives
/// without a sampler step report none.
#[test]
fn moved_energies_are_those_of_the_sampler_step() {
    use mvl_manifold::Energy;
    let sphere = Sphere::new(2).expect("valid");
    let y = sphere_batch(sphere);
    let energy = mvl_manifold::FnEnergy::new(|y: &Tensor| y.select(1, 2) * -3.0 + y.select(1, 0));
    let mvl = MinimumVelocity::riemannian(sphere, EPS).expect("valid");
    let (loss, moved) = {
        let _seed = mvl_manifold::testing::seeded(83);
        mvl.loss_and_moved_energy(&energy, &y).expect("finite")
    };
    let (plain, next) = {
        let _seed = mvl_manifold::testing::seeded(83);
        let plain = mvl.loss(&energy, &y).expect("finite");
        tch::manual_seed(83);
        (plain, mvl.flow().step(&energy, &y).expect("valid").next)
    };
    assert_eq!(loss.double_value(&[]), plain.double_value(&[]));
    let moved = moved.expect("MVL moves the data");
    assert!(moved.allclose(&energy.energy(&next), 1e-12, 1e-12, false));
    assert!(!moved.allclose(&energy.energy(&y), 1e-6, 1e-6, false));
    let sm = ScoreMatching::euclidean(2).expect("valid");
    let x = plane_batch();
    let flat =
        mvl_manifold::FnEnergy::new(|x: &Tensor| x.square().sum_dim_intlist(1, false, x.kind()));
    assert!(
        sm.loss_and_moved_energy(&flat, &x)
            .expect("finite")
            .1
            .is_none()
    );
}
