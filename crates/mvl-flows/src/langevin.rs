//! Euclidean Langevin dynamics, with an optional Metropolis-Hastings correction (MALA), and the
//! Langevin move in chart coordinates that every stochastic flow of the crate shares.

use crate::error::Result;
use crate::flow::{GradientFlow, Noise, Step, StepRule, finished, step_rule_builders};
use crate::geometry::{ChartState, Flat, Geometry, RescaleBy, check_input, check_noise};
use crate::mh;
use mvl_manifold::row_dot;
use mvl_manifold::{Chart, Energy};
use tch::Tensor;

/// The Euler-Maruyama step of the Langevin diffusion towards q^s ∝ exp(−sE) (paper eq. 2 with
/// a flat metric; paper-spec §2.1):
///
/// x⁻ = x − εᵢ s ∇E(x) + ξ,  ξ ~ N(0, 2εᵢ I),  εᵢ = ε / max(1, |∇E(x)|²) when rescaled
/// (the unscaled gradient's norm, as in the authors' code).
///
/// With [`Langevin::metropolis`], the proposal is accepted with the Metropolis-Hastings
/// probability (MALA). The reverse move's step size is computed at the proposal, so the
/// correction stays exact when the step is rescaled per row.
///
/// # Shapes
/// Input `[b, n]`; normal noise `[b, n]`; uniform noise `[b, 1]` with the MH test, else `[b, 0]`.
///
/// ```
/// use mvl_flows::{GradientFlow, Langevin};
/// use mvl_manifold::GaussianEnergy;
/// use tch::{Device, Kind, Tensor};
/// let target = GaussianEnergy::new(&Tensor::zeros([2], (Kind::Double, Device::Cpu)), 1.0)?;
/// let flow = Langevin::new(0.1)?.metropolis(true);
/// let x = Tensor::randn([512, 2], (Kind::Double, Device::Cpu)) * 3.0;
/// let samples = flow.sample(&target, &x, 200)?;
/// assert!(samples.std(true).double_value(&[]) < 1.3);
/// # Ok::<(), mvl_flows::FlowError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Langevin {
    core: LangevinCore,
}

impl Langevin {
    /// Step size ε (finite, > 0); energy scale 1; no rescaling; no MH correction.
    pub fn new(eps: f64) -> Result<Self> {
        Ok(Self {
            core: LangevinCore::new(eps, RescaleBy::Gradient)?,
        })
    }

    step_rule_builders!(core.rule, "|∇E|²");

    /// Adds the Metropolis-Hastings accept/reject test (MALA).
    pub fn metropolis(mut self, on: bool) -> Self {
        self.core.metropolis = on;
        self
    }
}

impl GradientFlow for Langevin {
    fn name(&self) -> &'static str {
        if self.core.metropolis {
            "MALA"
        } else {
            "Langevin"
        }
    }

    fn uniforms(&self) -> i64 {
        i64::from(self.core.metropolis)
    }

    fn step_with(&self, energy: &dyn Energy, x: &Tensor, noise: &Noise) -> Result<Step> {
        self.core.step(self.name(), &Flat, energy, x, noise)
    }
}

/// The Langevin step shared by [`Langevin`] and [`crate::RiemannianLangevin`]: one move in
/// the input's local charts, then the optional MH test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LangevinCore {
    pub rule: StepRule,
    pub by: RescaleBy,
    pub metropolis: bool,
}

impl LangevinCore {
    pub fn new(eps: f64, by: RescaleBy) -> Result<Self> {
        Ok(Self {
            rule: StepRule::new(eps)?,
            by,
            metropolis: false,
        })
    }

    /// One step from the ambient points `y` with the given noise, after checking both.
    pub fn step<G: Geometry>(
        &self,
        name: &'static str,
        geometry: &G,
        energy: &dyn Energy,
        y: &Tensor,
        noise: &Noise,
    ) -> Result<Step> {
        check_input(geometry, name, energy, y)?;
        check_noise(noise, y, geometry.chart_dim(y), i64::from(self.metropolis))?;
        self.run(name, geometry, energy, y, noise)
    }

    /// One step from checked points and noise.
    pub fn run<G: Geometry>(
        &self,
        name: &'static str,
        geometry: &G,
        energy: &dyn Energy,
        y: &Tensor,
        noise: &Noise,
    ) -> Result<Step> {
        let chart = geometry.local_chart(y)?;
        let state = ChartState::new(name, geometry, chart, energy, y, self.rule.scale)?;
        let mv = LangevinMove::new(&state, &self.rule, self.by, &noise.normal);
        let proposal = mv.proposal(&state.x);
        let next = state.chart.embed(&proposal);
        let diffusion = Some(row_dot(&state.grad, &mv.xi));
        let (next, accepted) = if self.metropolis {
            let u = noise.uniform.select(1, 0);
            let acc = mh::accept(self, geometry, energy, &state, &mv.eps, &proposal, &u)?;
            (next.where_self(&acc.unsqueeze(-1), y), Some(acc))
        } else {
            (next, None)
        };
        let step = Step {
            next,
            energy: state.energy,
            step_size: mv.eps,
            diffusion,
            accepted,
        };
        finished(name, step)
    }
}

/// One Euler-Maruyama move of Riemannian Langevin dynamics in chart coordinates (paper
/// eq. 4 and 18 with the authors' sign, paper-spec §2.3 steps 4-7):
/// x⁻ = x + εᵢ v + ξ with v = −G⁻¹(s∇E_emb − ∇½log det G) + Σⱼ∂ⱼg^{ij} and
/// ξ = √(2εᵢ)·G^{−1/2} z ~ N(0, 2εᵢ G⁻¹). In the identity chart this is paper-spec §2.1.
pub(crate) struct LangevinMove {
    /// The drift part εᵢ v, `[b, d]`.
    pub drift_step: Tensor,
    /// The diffusion increment ξ, `[b, d]`.
    pub xi: Tensor,
    /// The per-row step εᵢ, `[b]` (no gradient).
    pub eps: Tensor,
}

impl LangevinMove {
    /// The move of `state` with standard normal noise `z` (`[b, d]`).
    pub fn new<C: Chart>(
        state: &ChartState<C>,
        rule: &StepRule,
        by: RescaleBy,
        z: &Tensor,
    ) -> Self {
        let eps = state.step_sizes(rule, by);
        let scaled = if state.chart.is_flat() {
            z.shallow_clone()
        } else {
            state.metric.inverse_sqrt_apply(z)
        };
        let xi = scaled * (&eps * 2.0).sqrt().unsqueeze(-1);
        let drift_step = &state.drift * eps.unsqueeze(-1);
        Self {
            drift_step,
            xi,
            eps,
        }
    }

    /// x + εᵢ v + ξ.
    pub fn proposal(&self, x: &Tensor) -> Tensor {
        x + &self.drift_step + &self.xi
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlowError;
    use crate::testing::check_flow;
    use mvl_manifold::{FnEnergy, GaussianEnergy};
    use tch::{Device, Kind};

    fn quadratic(x: &Tensor) -> Tensor {
        (x - 2.0).square().sum_dim_intlist(-1, false, x.kind()) / 2.0
    }

    #[test]
    fn conformance() {
        let _seed = mvl_manifold::testing::seeded(11);
        let e = FnEnergy::new(quadratic);
        for kind in [Kind::Double, Kind::Float] {
            let x = Tensor::randn([16, 3], (kind, Device::Cpu));
            check_flow(&Langevin::new(1e-3).expect("valid"), &e, &x);
            check_flow(
                &Langevin::new(1e-3)
                    .expect("valid")
                    .metropolis(true)
                    .rescaled(true),
                &e,
                &x,
            );
        }
    }

    /// next = x − ε s ∇E + √(2ε) z exactly, and ⟨∇E, ξ⟩ is the diffusion (paper-spec §2.1).
    #[test]
    fn closed_form_step() {
        let opts = (Kind::Double, Device::Cpu);
        let e = GaussianEnergy::new(&Tensor::zeros([2], opts), 1.0).expect("valid");
        let x = Tensor::from_slice(&[3.0f64, 0.0, 0.5, -0.5]).view([2, 2]);
        let z = Tensor::from_slice(&[1.0f64, -1.0, 0.0, 2.0]).view([2, 2]);
        let noise = Noise {
            normal: z.shallow_clone(),
            uniform: Tensor::zeros([2, 0], opts),
        };
        let flow = Langevin::new(0.1)
            .expect("valid")
            .energy_scale(0.5)
            .expect("valid")
            .rescaled(true);
        let step = flow.step_with(&e, &x, &noise).expect("step");
        // Row 0: |∇E|² = 9 → ε₀ = 0.1/9; row 1: |∇E|² = 0.5 → ε₁ = 0.1.
        let eps = Tensor::from_slice(&[0.1 / 9.0, 0.1]);
        let xi = &z * (&eps * 2.0).sqrt().unsqueeze(-1);
        let expected = &x - &x * (&eps * 0.5).unsqueeze(-1) + &xi;
        assert!((step.next - expected).abs().max().double_value(&[]) < 1e-14);
        assert!((step.step_size - &eps).abs().max().double_value(&[]) < 1e-15);
        let diffusion = step.diffusion.expect("stochastic");
        assert!((diffusion - row_dot(&x, &xi)).abs().max().double_value(&[]) < 1e-14);
    }

    #[test]
    fn bad_input_is_reported() {
        // Its steps draw noise: under the suites' seed lock, so as not to shift the draws of
        // tests that hold it.
        let _seed = mvl_manifold::testing::seeded(76);
        for bad in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Langevin::new(bad),
                Err(FlowError::InvalidParameter { name: "step size", value, .. }) if value.is_nan() || value == bad
            ));
        }
        assert!(matches!(
            Langevin::new(0.1).expect("valid").energy_scale(-2.0),
            Err(FlowError::InvalidParameter {
                name: "energy scale",
                value: -2.0,
                ..
            })
        ));
        let opts = (Kind::Double, Device::Cpu);
        let e = FnEnergy::new(quadratic);
        let flow = Langevin::new(0.1).expect("valid");
        let x = Tensor::zeros([4, 3], opts);
        let wrong = Noise {
            normal: Tensor::zeros([4, 2], opts),
            uniform: Tensor::zeros([4, 0], opts),
        };
        assert!(matches!(
            flow.step_with(&e, &x, &wrong),
            Err(FlowError::ShapeMismatch { what: "normal noise", got, .. }) if got == vec![4, 2]
        ));
        assert!(matches!(
            flow.step(&e, &Tensor::zeros([4], opts)),
            Err(FlowError::ShapeMismatch { got, .. }) if got == vec![4]
        ));
        // A gradient that is infinite at row 2 is reported with its row and value.
        let blow_up = FnEnergy::new(|x: &Tensor| x.select(1, 0).abs().sqrt());
        let x = Tensor::ones([4, 3], opts).index_fill(0, &Tensor::from_slice(&[2i64]), 0.0);
        assert!(matches!(
            flow.step(&blow_up, &x),
            Err(FlowError::NonFinite { what: "energy gradient", row: 2, value, .. }) if !value.is_finite()
        ));
    }
}
