//! The stochastic particle-optimisation sampler: a blend of SVGD and Langevin dynamics.

use crate::error::{FlowError, Result};
use crate::flow::step_rule_builders;
use crate::flow::{GradientFlow, Noise, Step, StepRule, bandwidth_builder, finished};
use crate::geometry::{Flat, Geometry, RescaleBy, check_input, check_noise};
use crate::kernel::Bandwidth;
use crate::langevin::LangevinMove;
use crate::svgd::{chart_svgd_direction, particle_state};
use mvl_manifold::row_dot;
use mvl_manifold::{Chart, Energy};
use tch::Tensor;

/// How the Langevin noise of [`Spos`] is weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SposNoise {
    /// (1 − α)·ξ, as the authors' `score_est.py` (paper-spec §2.4). The Langevin part then
    /// runs at temperature 1 − α, so for 0 < α < 1 the blend's fixed point is not exactly q^s;
    /// this is the update whose minimum velocity objective the paper uses.
    #[default]
    Authors,
    /// √(1 − α)·ξ: the Langevin part keeps q^s invariant (Zhang et al. 2018, SPOS, with drift
    /// and diffusion both weighted by 1 − α), so the blend samples q^s for every α.
    Balanced,
}

/// One step of SPOS (Zhang, Zhang, Carin, Chen 2018; paper-spec §2.4) towards q^s:
///
/// x⁻ = x + α·εᵢφ(x) + (1 − α)·εᵢv + w·ξ,  ξ ~ N(0, 2εᵢG⁻¹),
///
/// with φ the [`crate::Svgd`] direction, v the Langevin drift (−s∇E in flat space,
/// the [`crate::RiemannianLangevin`] drift in a chart), α ∈ [0, 1] (default ½), and the
/// noise weight w = 1 − α for [`SposNoise::Authors`] (the authors' update
/// x + αεφ + (1 − α)(−εs∇E + ξ)) or w = √(1 − α) for [`SposNoise::Balanced`];
/// εᵢ = ε / max(1, |∇E|²) when rescaled. `diffusion` = ⟨∇E, w·ξ⟩ (paper-spec §2.4:
/// (1 − α)⟨∇E, ξ⟩ for the authors' weighting).
/// α = 1 is [`crate::Svgd`], α = 0 is [`crate::Langevin`] (same noise). On a manifold
/// ([`Spos::on`]) everything is computed in the batch's chart, as for SVGD.
///
/// # Shapes
/// Input `[B, n]`; normal noise `[B, d]` (d the chart dimension); uniform noise `[B, 0]`.
///
/// ```
/// use mvl_flows::{GradientFlow, Spos, SposNoise};
/// use mvl_manifold::GaussianEnergy;
/// use tch::{Device, Kind, Tensor};
/// let target = GaussianEnergy::new(&Tensor::zeros([2], (Kind::Double, Device::Cpu)), 1.0)?;
/// let flow = Spos::new(0.1)?.alpha(0.5)?.noise(SposNoise::Balanced);
/// let x = Tensor::randn([128, 2], (Kind::Double, Device::Cpu)) * 3.0;
/// let var = flow.sample(&target, &x, 150)?.var(true).double_value(&[]);
/// assert!((var - 1.0).abs() < 0.35, "{var}");
/// # Ok::<(), mvl_flows::FlowError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spos<G = Flat> {
    rule: StepRule,
    alpha: f64,
    noise: SposNoise,
    bandwidth: Bandwidth,
    geometry: G,
}

impl Spos<Flat> {
    /// Step size ε (finite, > 0) in flat space; α = ½; energy scale 1; no rescaling; median
    /// bandwidth; the authors' noise weighting.
    pub fn new(eps: f64) -> Result<Self> {
        let rule = StepRule::new(eps)?;
        Ok(Self {
            rule,
            alpha: 0.5,
            noise: SposNoise::Authors,
            bandwidth: Bandwidth::Median,
            geometry: Flat,
        })
    }
}

impl<G: Geometry> Spos<G> {
    step_rule_builders!(rule, "|∇E|²");
    bandwidth_builder!();

    /// The SVGD weight α ∈ [0, 1].
    pub fn alpha(mut self, alpha: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&alpha) {
            return Err(FlowError::InvalidParameter {
                name: "alpha",
                value: alpha,
                reason: "must lie in [0, 1]",
            });
        }
        self.alpha = alpha;
        Ok(self)
    }

    /// The weighting of the Langevin noise.
    pub fn noise(mut self, noise: SposNoise) -> Self {
        self.noise = noise;
        self
    }

    /// The same flow on another geometry, e.g. a [`mvl_manifold::Manifold`].
    pub fn on<H: Geometry>(self, geometry: H) -> Spos<H> {
        let Self {
            rule,
            alpha,
            noise,
            bandwidth,
            ..
        } = self;
        Spos {
            rule,
            alpha,
            noise,
            bandwidth,
            geometry,
        }
    }

    /// The weight of ξ in the step: 1 − α or √(1 − α).
    fn noise_weight(&self) -> f64 {
        match self.noise {
            SposNoise::Authors => 1.0 - self.alpha,
            SposNoise::Balanced => (1.0 - self.alpha).sqrt(),
        }
    }
}

impl<G: Geometry> GradientFlow for Spos<G> {
    fn name(&self) -> &'static str {
        "SPOS"
    }

    fn noise_dim(&self, x: &Tensor) -> i64 {
        self.geometry.chart_dim(x)
    }

    fn step_with(&self, energy: &dyn Energy, y: &Tensor, noise: &Noise) -> Result<Step> {
        check_input(&self.geometry, self.name(), energy, y)?;
        check_noise(noise, y, self.geometry.chart_dim(y), 0)?;
        let state = particle_state(self.name(), &self.geometry, energy, y, &self.rule)?;
        let phi = chart_svgd_direction(&state, self.bandwidth);
        let mv = LangevinMove::new(&state, &self.rule, RescaleBy::Gradient, &noise.normal);
        let noise_term = &mv.xi * self.noise_weight();
        let drift = phi * (mv.eps.unsqueeze(-1) * self.alpha) + &mv.drift_step * (1.0 - self.alpha);
        let next = state.chart.embed(&(&state.x + drift + &noise_term));
        let diffusion = Some(row_dot(&state.grad, &noise_term));
        let step = Step {
            next,
            energy: state.energy,
            step_size: mv.eps,
            diffusion,
            accepted: None,
        };
        finished(self.name(), step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::check_flow;
    use crate::{Langevin, Svgd};
    use mvl_manifold::max_abs;
    use mvl_manifold::{FnEnergy, Manifold, Sphere};
    use tch::{Device, Kind};

    fn energy(x: &Tensor) -> Tensor {
        ((x - 2.0).square().sum_dim_intlist(-1, false, x.kind()) + 1.0).sqrt() * 3.0
    }

    #[test]
    fn conformance_flat_and_on_the_sphere() {
        let _seed = mvl_manifold::testing::seeded(51);
        let steep = FnEnergy::new(|y: &Tensor| y.select(1, 0) * -20.0);
        for kind in [Kind::Double, Kind::Float] {
            let opts = (kind, Device::Cpu);
            let x = Tensor::randn([16, 3], opts);
            check_flow(&Spos::new(1e-3).expect("valid"), &FnEnergy::new(energy), &x);
            let balanced = Spos::new(1e-3).and_then(|f| f.alpha(0.2)).expect("valid");
            check_flow(
                &balanced.noise(SposNoise::Balanced).rescaled(true),
                &FnEnergy::new(energy),
                &x,
            );
            let sphere = Sphere::new(2).expect("valid");
            let y = sphere.project(
                &(Tensor::randn([16, 3], opts)
                    + Tensor::from_slice(&[0.0f32, 0.0, 2.0]).to_kind(kind)),
            );
            check_flow(&Spos::new(1e-4).expect("valid").on(sphere), &steep, &y);
        }
    }

    /// α = 0 is Langevin and α = 1 is SVGD, noise for noise (also with rescaling); the
    /// diffusion term is (1 − α)⟨∇E, ξ⟩ with the authors' weighting, √(1 − α)⟨∇E, ξ⟩ balanced.
    #[test]
    fn endpoints_and_diffusion() {
        let _seed = mvl_manifold::testing::seeded(52);
        let opts = (Kind::Double, Device::Cpu);
        let e = FnEnergy::new(energy);
        let x = Tensor::randn([32, 3], opts);
        let noise = Noise {
            normal: Tensor::randn([32, 3], opts),
            uniform: Tensor::zeros([32, 0], opts),
        };
        let none = Noise {
            normal: Tensor::zeros([32, 0], opts),
            uniform: Tensor::zeros([32, 0], opts),
        };
        let spos = |a: f64| {
            Spos::new(0.05)
                .and_then(|f| f.alpha(a))
                .and_then(|f| f.energy_scale(0.5))
                .expect("valid")
                .rescaled(true)
        };
        let langevin = Langevin::new(0.05)
            .and_then(|f| f.energy_scale(0.5))
            .expect("valid")
            .rescaled(true);
        let svgd = Svgd::new(0.05)
            .and_then(|f| f.energy_scale(0.5))
            .expect("valid")
            .rescaled(true);
        let l = langevin.step_with(&e, &x, &noise).expect("step");
        let s0 = spos(0.0).step_with(&e, &x, &noise).expect("step");
        assert!(max_abs(&(&l.next - &s0.next)) < 1e-14);
        let (dl, d0) = (l.diffusion.expect("some"), s0.diffusion.expect("some"));
        assert!(max_abs(&(&dl - d0)) < 1e-14);
        let s1 = spos(1.0).step_with(&e, &x, &noise).expect("step");
        let v = svgd.step_with(&e, &x, &none).expect("step");
        assert!(max_abs(&(&s1.next - &v.next)) < 1e-14);
        assert_eq!(max_abs(&s1.diffusion.expect("some")), 0.0);
        let d = spos(0.3)
            .step_with(&e, &x, &noise)
            .expect("step")
            .diffusion
            .expect("some");
        assert!(max_abs(&(d - &dl * 0.7)) < 1e-14);
        let b = spos(0.3)
            .noise(SposNoise::Balanced)
            .step_with(&e, &x, &noise)
            .expect("step");
        assert!(max_abs(&(b.diffusion.expect("some") - &dl * 0.7f64.sqrt())) < 1e-14);
    }

    #[test]
    fn alpha_outside_the_unit_interval_is_rejected() {
        for bad in [-0.1, 1.5, f64::NAN] {
            assert!(matches!(
                Spos::new(0.1).and_then(|f| f.alpha(bad)),
                Err(crate::FlowError::InvalidParameter { name: "alpha", value, .. }) if value.is_nan() || value == bad
            ));
        }
        let sphere = Sphere::new(3).expect("valid");
        let flow = Spos::new(0.1).expect("valid").on(sphere);
        assert_eq!(
            flow.noise_dim(&Tensor::zeros([2, 4], (Kind::Double, Device::Cpu))),
            sphere.dim()
        );
    }
}
