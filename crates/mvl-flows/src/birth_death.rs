//! Langevin dynamics with birth-death jumps: a particle discretisation of the
//! Wasserstein-Fisher-Rao gradient flow (Lu, Lu & Nolen 2019).

use crate::error::{FlowError, Result};
use crate::flow::{GradientFlow, Noise, Step, bandwidth_builder, step_rule_builders};
use crate::geometry::{Flat, Geometry, RescaleBy, check_input, check_noise};
use crate::kernel::{Bandwidth, log_kde};
use crate::langevin::LangevinCore;
use mvl_manifold::{Chart, Energy};
use tch::{Device, Kind, Tensor};

/// Langevin dynamics with birth-death jumps towards q^s ∝ exp(−sE) (Lu, Lu & Nolen,
/// "Accelerating Langevin sampling with birth-death", 2019, §3 and their particle
/// algorithm): the Fisher-Rao part of the flow moves mass between modes directly, which
/// plain Langevin dynamics can only do by crossing the barriers between them.
///
/// One step from the particles x₁..x_B:
/// 1. **Langevin move**, exactly the [`crate::Langevin`] step in flat space (in each point's
///    chart, as [`crate::RiemannianLangevin`], on a manifold): x⁻ᵢ = xᵢ + εᵢvᵢ + ξᵢ. Its ξᵢ is
///    the step's only diffusion; εᵢ = ε / max(1, |∇E(xᵢ)|²) when rescaled (the chart gradient
///    on a manifold).
/// 2. **Rates** at the start points (the splitting evaluates them before the move, so the
///    jumps are independent of ξ and the control variate keeps mean zero; like Euler-Maruyama
///    the splitting error is O(ε)): βᵢ = log K̂(xᵢ) + s·E(xᵢ) − ½ log det G(xᵢ), centred:
///    β̄ᵢ = βᵢ − (1/B)Σⱼβⱼ (the particle version of log(ρ/q^s) − ⟨log(ρ/q^s)⟩_ρ, which keeps the
///    number of particles). K̂ is the Gaussian kernel density estimate
///    (1/B)Σⱼ exp(−|xᵢ − xⱼ|²/(2h)) in the batch chart, h from the [`Bandwidth`] rule (median
///    heuristic by default; Lu, Lu & Nolen mollify the empirical measure with a Gaussian too).
///    The log-det term turns the chart density into a volume density (zero in flat space).
/// 3. **Jumps**, particle by particle in index order ([`jump_sources`]): with probability
///    1 − exp(−|β̄ᵢ|·εᵢ·c) (c the jump-rate scale, default 1), a particle with β̄ᵢ > 0 (too
///    much mass here) is killed and replaced by a copy of a uniformly chosen other particle;
///    one with β̄ᵢ < 0 is duplicated onto a uniformly chosen other particle's slot.
///
/// The result is a gather of the Langevin proposals, next_i = x⁻_{σ(i)}, differentiable like
/// them. `diffusion` and `step_size` of row i are those of the move that produced next_i
/// (⟨∇E(x_{σ(i)}), ξ_{σ(i)}⟩ and ε_{σ(i)}); `energy` is E at the input rows. [`Self::step_parts`]
/// exposes the move, the rates and σ separately. Uniforms: 2 per row (event, partner).
///
/// # Shapes
/// Input `[B, n]`; normal noise `[B, d]`; uniform noise `[B, 2]`.
///
/// ```
/// use mvl_flows::{BirthDeathLangevin, GradientFlow};
/// use mvl_manifold::FnEnergy;
/// use tch::{Device, Kind, Tensor};
/// // Two narrow modes at ±3 with weights ¼ and ¾; start with half the particles in each.
/// let e = FnEnergy::new(|x: &Tensor| {
///     let l = (x + 3.0).square() * -2.0 + 0.25f64.ln();
///     let r = (x - 3.0).square() * -2.0 + 0.75f64.ln();
///     -Tensor::cat(&[l, r], 1).logsumexp(1, false)
/// });
/// let x = Tensor::cat(&[Tensor::full([64, 1], -3.0, (Kind::Double, Device::Cpu)),
///                       Tensor::full([64, 1], 3.0, (Kind::Double, Device::Cpu))], 0);
/// let flow = BirthDeathLangevin::new(0.05)?;
/// let right = flow.sample(&e, &x, 60)?.gt(0.0).to_kind(Kind::Double).mean(Kind::Double);
/// assert!((right.double_value(&[]) - 0.75).abs() < 0.15); // 4 binomial SE
/// // Plain Langevin dynamics cannot cross the barrier: its weights stay at (½, ½).
/// # Ok::<(), mvl_flows::FlowError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BirthDeathLangevin<G = Flat> {
    core: LangevinCore,
    bandwidth: Bandwidth,
    jump_scale: f64,
    geometry: G,
}

/// One birth-death Langevin step in its parts.
///
/// # Shapes
/// `langevin` as [`Step`] (`[B, n]`, `[B]`); `rates`: `[B]`; `source`: `[B]` (Int64).
#[derive(Debug)]
pub struct BirthDeathStep {
    /// The Langevin move of every particle before the jumps (its `next` is x⁻, its `diffusion`
    /// ⟨∇E(xᵢ), ξᵢ⟩).
    pub langevin: Step,
    /// The centred rates β̄ᵢ at the start points (no gradient).
    pub rates: Tensor,
    /// σ: row i of the result is the Langevin proposal of particle σ(i).
    pub source: Tensor,
}

impl BirthDeathStep {
    /// The step after the jumps: the rows of the Langevin step gathered by σ, except `energy`,
    /// which stays that of the input rows.
    pub fn into_step(self) -> Step {
        let Step {
            next,
            energy,
            step_size,
            diffusion,
            ..
        } = self.langevin;
        let gather = |t: &Tensor| t.index_select(0, &self.source);
        Step {
            next: gather(&next),
            energy,
            step_size: gather(&step_size),
            diffusion: diffusion.as_ref().map(gather),
            accepted: None,
        }
    }
}

impl BirthDeathLangevin<Flat> {
    /// Step size ε (finite, > 0) in flat space; energy scale 1; no rescaling; median
    /// bandwidth; jump-rate scale 1.
    pub fn new(eps: f64) -> Result<Self> {
        let core = LangevinCore::new(eps, RescaleBy::Gradient)?;
        Ok(Self {
            core,
            bandwidth: Bandwidth::Median,
            jump_scale: 1.0,
            geometry: Flat,
        })
    }
}

impl<G: Geometry> BirthDeathLangevin<G> {
    step_rule_builders!(core.rule, "|∇E|²");
    bandwidth_builder!();

    /// Multiplies the jump rates by c (finite, > 0); c = 1 is the Wasserstein-Fisher-Rao flow.
    pub fn jump_rate_scale(mut self, c: f64) -> Result<Self> {
        crate::flow::positive("jump rate scale", c)?;
        self.jump_scale = c;
        Ok(self)
    }

    /// The same flow on another geometry, e.g. a [`mvl_manifold::Manifold`].
    pub fn on<H: Geometry>(self, geometry: H) -> BirthDeathLangevin<H> {
        let Self {
            core,
            bandwidth,
            jump_scale,
            ..
        } = self;
        BirthDeathLangevin {
            core,
            bandwidth,
            jump_scale,
            geometry,
        }
    }

    /// The centred rates β̄ at the points `y`, `[B]`, differentiable with respect to the
    /// energy's parameters through s·E(y) (the density estimate and the metric carry none).
    /// E_ρ[β̄²] is the Fisher-Rao part of the flow's dissipation of KL(ρ‖q^s).
    pub fn rates(&self, energy: &dyn Energy, y: &Tensor) -> Result<Tensor> {
        check_input(&self.geometry, self.name(), energy, y)?;
        let e = mvl_manifold::catch_torch(|| energy.energy(y)).map_err(|message| {
            FlowError::Energy {
                flow: self.name(),
                shape: y.size(),
                message,
            }
        })?;
        self.centred_rates(y, &e)
    }

    /// β̄ from the energies `e` (`[B]`) at the points `y`.
    fn centred_rates(&self, y: &Tensor, e: &Tensor) -> Result<Tensor> {
        let beta = log_batch_density(&self.geometry, y, self.bandwidth)? + e * self.core.rule.scale;
        crate::flow::ensure_finite(self.name(), "birth-death rate", &beta)?;
        Ok(&beta - beta.mean(beta.kind()))
    }

    /// One step, split into the Langevin move, the rates and the jump sources σ.
    pub fn step_parts(
        &self,
        energy: &dyn Energy,
        y: &Tensor,
        noise: &Noise,
    ) -> Result<BirthDeathStep> {
        check_input(&self.geometry, self.name(), energy, y)?;
        check_noise(noise, y, self.geometry.chart_dim(y), 2)?;
        let langevin = self
            .core
            .run(self.name(), &self.geometry, energy, y, noise)?;
        let rates = self.centred_rates(y, &langevin.energy.detach())?;
        let host = |t: &Tensor| -> Result<Vec<f64>> {
            Ok(Vec::<f64>::try_from(
                &t.detach()
                    .to_device(Device::Cpu)
                    .to_kind(Kind::Double)
                    .contiguous(),
            )?)
        };
        let times = host(&(&langevin.step_size * self.jump_scale))?;
        let sources = jump_sources(
            &host(&rates)?,
            &times,
            &host(&noise.uniform.select(1, 0))?,
            &host(&noise.uniform.select(1, 1))?,
        );
        let source = Tensor::from_slice(&sources).to_device(y.device());
        Ok(BirthDeathStep {
            langevin,
            rates,
            source,
        })
    }
}

impl<G: Geometry> GradientFlow for BirthDeathLangevin<G> {
    fn name(&self) -> &'static str {
        "birth-death Langevin"
    }

    fn noise_dim(&self, x: &Tensor) -> i64 {
        self.geometry.chart_dim(x)
    }

    fn uniforms(&self) -> i64 {
        2
    }

    fn step_with(&self, energy: &dyn Energy, y: &Tensor, noise: &Noise) -> Result<Step> {
        Ok(self.step_parts(energy, y, noise)?.into_step())
    }
}

/// The flow's estimate of log ρ at the batch `y` itself, `[B]` (no gradient): the Gaussian
/// kernel density estimate log K̂(xᵢ) = log (1/B)Σⱼ exp(−|xᵢ − xⱼ|²/(2h)) in one chart of the
/// batch ([`Geometry::batch_chart`], x its coordinates; [`crate::kernel::log_kde`]), turned
/// into a density with respect to the Riemannian volume by − ½ log det G(xᵢ) (paper eq. 3:
/// a chart density is the volume density times √det G). Up to the additive constant
/// −(d/2) log 2πh, which the centring of the rates removes (Lu, Lu & Nolen 2019 mollify the
/// empirical measure with a Gaussian the same way).
///
/// # Shapes
/// `y`: `[B, n]` points of the geometry; result `[B]`.
pub fn log_batch_density<G: Geometry>(
    geometry: &G,
    y: &Tensor,
    bandwidth: Bandwidth,
) -> Result<Tensor> {
    let chart = geometry.batch_chart(y)?;
    let x = chart.coords(&y.detach());
    Ok(log_kde(&x, bandwidth) - chart.half_log_det(&x))
}

/// The jump sources σ of one birth-death step (Lu, Lu & Nolen 2019, particle algorithm),
/// processed sequentially in index order i = 0..B on the current assignment:
/// particle i (rate β̄ᵢ = `rates[i]`, time τᵢ = `times[i]`) jumps iff
/// `u_event[i] > exp(−|β̄ᵢ|τᵢ)` (probability 1 − exp(−|β̄ᵢ|τᵢ)); its partner j ≠ i is
/// ⌊uᵢ·(B − 1)⌋ with uᵢ = `u_partner[i]`, skipping i. If
/// β̄ᵢ > 0, slot i takes the content of slot j (i dies, j is duplicated); otherwise slot j
/// takes the content of slot i (i is duplicated, j dies). With u = 0 nothing jumps.
/// The result has B = `rates.len()` entries; the other slices should have B too (a
/// particle beyond the end of a shorter one does not jump: the function has no error
/// channel and does not panic).
///
/// ```
/// use mvl_flows::jump_sources;
/// // Particle 0 has too much mass and surely jumps; its partner is particle 2.
/// let sigma = jump_sources(&[5.0, -1.0, -4.0], &[10.0, 0.0, 0.0], &[0.5, 0.9, 0.9], &[0.99, 0.0, 0.0]);
/// assert_eq!(sigma, vec![2, 1, 2]);
/// ```
pub fn jump_sources(rates: &[f64], times: &[f64], u_event: &[f64], u_partner: &[f64]) -> Vec<i64> {
    let b = rates.len();
    let mut source: Vec<i64> = (0..b as i64).collect();
    if b < 2 {
        return source;
    }
    let decided = b.min(times.len()).min(u_event.len()).min(u_partner.len());
    for i in 0..decided {
        let jumps = u_event[i] > (-rates[i].abs() * times[i]).exp(); // false for NaN
        if !jumps {
            continue;
        }
        let j = ((u_partner[i] * (b - 1) as f64) as usize).min(b - 2);
        let j = if j >= i { j + 1 } else { j };
        if rates[i] > 0.0 {
            source[i] = source[j];
        } else {
            source[j] = source[i];
        }
    }
    source
}

#[cfg(test)]
mod tests;
