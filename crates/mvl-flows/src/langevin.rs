//! Euclidean Langevin dynamics, with an optional Metropolis-Hastings correction (MALA).

use crate::error::Result;
use crate::flow::{GradientFlow, Noise, Step, StepRule, check_batch, ensure_finite};
use mvl_manifold::Energy;
use mvl_manifold::metric::{row_dot, row_norm_sq};
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
    rule: StepRule,
    metropolis: bool,
}

impl Langevin {
    /// Step size ε (finite, > 0); energy scale 1; no rescaling; no MH correction.
    pub fn new(eps: f64) -> Result<Self> {
        Ok(Self {
            rule: StepRule::new(eps)?,
            metropolis: false,
        })
    }

    /// Targets q^s (finite s > 0); minimum velocity learning uses s = 0.5.
    pub fn energy_scale(mut self, s: f64) -> Result<Self> {
        self.rule = self.rule.with_scale(s)?;
        Ok(self)
    }

    /// Per-row step rescaling εᵢ = ε / max(1, |∇E|²).
    pub fn rescaled(mut self, rescale: bool) -> Self {
        self.rule = self.rule.with_rescale(rescale);
        self
    }

    /// Adds the Metropolis-Hastings accept/reject test (MALA).
    pub fn metropolis(mut self, on: bool) -> Self {
        self.metropolis = on;
        self
    }

    /// The step-size rule.
    pub fn rule(&self) -> StepRule {
        self.rule
    }

    /// log q(to | from) of the Gaussian proposal, up to the constant −(d/2) log 4π, for a
    /// proposal with per-row step `eps` and gradient `grad` at `from`.
    fn log_proposal(&self, to: &Tensor, from: &Tensor, grad: &Tensor, eps: &Tensor) -> Tensor {
        let d = to.size()[1] as f64;
        let mean = from - grad * eps.unsqueeze(-1) * self.rule.scale;
        -row_norm_sq(&(to - mean)) / (eps * 4.0) - eps.log() * (d / 2.0)
    }

    /// The MH acceptance mask for the move `from` → `to`, with uniforms `u` (all detached).
    fn accept(&self, energy: &dyn Energy, from: &State, to: &Tensor, u: &Tensor) -> Result<Tensor> {
        let (e1, g1) = energy.energy_and_grad(to);
        let (e1, g1) = (e1.detach(), g1.detach());
        ensure_finite(self.name(), "energy at the proposal", &e1)?;
        let eps1 = self.rule.per_row(&row_norm_sq(&g1));
        let forward = self.log_proposal(to, &from.x, &from.grad, &from.eps);
        let backward = self.log_proposal(&from.x, to, &g1, &eps1);
        let log_ratio = (&from.energy - &e1) * self.rule.scale + backward - forward;
        Ok(u.log().lt_tensor(&log_ratio))
    }
}

/// The detached start of a move, for the Metropolis-Hastings ratio.
struct State {
    x: Tensor,
    energy: Tensor,
    grad: Tensor,
    eps: Tensor,
}

impl GradientFlow for Langevin {
    fn name(&self) -> &'static str {
        if self.metropolis { "MALA" } else { "Langevin" }
    }

    fn uniforms(&self) -> i64 {
        i64::from(self.metropolis)
    }

    fn step_with(&self, energy: &dyn Energy, x: &Tensor, noise: &Noise) -> Result<Step> {
        check_batch("Langevin input", x, None)?;
        check_batch("Langevin noise", &noise.normal, Some(x.size()[1]))?;
        let (e0, g) = energy.energy_and_grad(x);
        ensure_finite(self.name(), "energy gradient", &g)?;
        let eps = self.rule.per_row(&row_norm_sq(&g));
        let xi = &noise.normal * (&eps * 2.0).sqrt().unsqueeze(-1);
        let proposal = x - &g * eps.unsqueeze(-1) * self.rule.scale + &xi;
        let diffusion = Some(row_dot(&g, &xi));
        let (next, accepted) = if self.metropolis {
            let from = State {
                x: x.detach(),
                energy: e0.detach(),
                grad: g.detach(),
                eps: eps.shallow_clone(),
            };
            let u = noise.uniform.select(1, 0);
            let acc = self.accept(energy, &from, &proposal.detach(), &u)?;
            (proposal.where_self(&acc.unsqueeze(-1), x), Some(acc))
        } else {
            (proposal, None)
        };
        Ok(Step {
            next,
            energy: e0,
            step_size: eps,
            diffusion,
            accepted,
        })
    }
}
