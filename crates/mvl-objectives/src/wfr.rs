//! The Wasserstein-Fisher-Rao (birth-death) minimum velocity objective on any manifold.

use crate::error::{ObjectiveError, Result};
use crate::minimum_velocity::MinimumVelocity;
use crate::objective::{Objective, check_batch, positive};
use crate::rate_density::RateDensity;
use mvl_flows::{BirthDeathLangevin, RiemannianLangevin};
use mvl_manifold::{Energy, Manifold};
use tch::Tensor;

/// Minimum velocity learning with birth-death Langevin dynamics (Lu, Lu & Nolen 2019), whose
/// Fisher-Rao part moves mass between separated modes, in its expected-jump form.
///
/// MVL with a sampler towards q^{1/2} measures the energy drop of one step (paper eq. 10).
/// Birth-death Langevin adds to the Langevin move jumps at the rates
/// β̄ = log ρ + ½E − ⟨log ρ + ½E⟩_ρ (ρ the data density): a point with β̄ > 0 dies and a random
/// other point is duplicated, one with β̄ < 0 duplicates itself. A point jumps with
/// probability ≈ |β̄|·c·ε over a step of length ε (c the jump-rate scale), so the jumps'
/// expected energy drop per unit time is (docs/math.md, "The Wasserstein-Fisher-Rao
/// objective")
///
/// ℓ_FR = E_ρ[β̄ (E − E_ρE)] = Cov_ρ(log ρ + ½E, E) = ½Var_ρ(log ρ + E) − ½Var_ρ(log ρ),
///
/// half the θ-dependent part of the Fisher-Rao dissipation Var_ρ(log ρ/q), as the
/// Wasserstein term ½|∇E|²_g − Δ_g E is half that of the Fisher divergence. Unlike the
/// Fisher divergence it sees the relative mass of separated modes: it vanishes only where
/// log q = log ρ + const on the data.
///
/// **The expected form** ([`WassersteinFisherRao::new`]) is, per sample,
///
/// ℓᵢ = ℓ_MVL,ᵢ + c β̄ᵢ (Eᵢ − Ē),  β̄ᵢ = log ρ̂(yᵢ) + ½Eᵢ − (1/B)Σⱼ(log ρ̂(yⱼ) + ½Eⱼ),
///
/// with ℓ_MVL the Riemannian MVL terms of the Langevin part
/// ([`MinimumVelocity::riemannian`]), Ē the batch mean and log ρ̂ from a [`RateDensity`].
/// β̄ keeps its dependence on θ through ½E, so the parameter gradient of the Fisher-Rao part
/// is Cov(log ρ + E, ∇_θE), that of ½Var(log ρ + E): zero at q ∝ ρ.
///
/// **The sampled form** ([`WassersteinFisherRao::sampled`]) is [`MinimumVelocity`] over
/// [`BirthDeathLangevin`], which draws the jumps (its rates use the batch estimate of
/// [`crate::BatchKde`]). Its value has the same mean up to O(ε) and O(1/B), but its gradient
/// differs: the jumps σ are discrete and the rates detached, so the gradient is
/// Cov(log ρ + ½E, ∇_θE), zero at q ∝ ρ² rather than q ∝ ρ; and each jump contributes
/// O(1/ε), so its variance grows like 1/ε.
///
/// ```
/// use mvl_manifold::{Euclidean, GaussianEnergy};
/// use mvl_objectives::{BatchKde, Objective, WassersteinFisherRao};
/// use tch::{Device, Kind, Tensor};
/// tch::manual_seed(0);
/// let opts = (Kind::Double, Device::Cpu);
/// let plane = Euclidean::new(2)?;
/// let wfr = WassersteinFisherRao::new(plane, 1e-3, BatchKde::new(plane), 1.0)?;
/// let energy = GaussianEnergy::new(&Tensor::zeros([2], opts), 1.0)?;
/// let loss = wfr.loss(&energy, &Tensor::randn([256, 2], opts))?;
/// assert!(loss.double_value(&[]).is_finite());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct WassersteinFisherRao<M> {
    langevin: MinimumVelocity<RiemannianLangevin<M>>,
    density: Box<dyn RateDensity>,
    weight: f64,
}

impl<M: Manifold> WassersteinFisherRao<M> {
    /// The expected form on `manifold`: Riemannian MVL with base step ε in the authors'
    /// configuration ([`MinimumVelocity::riemannian`]), plus c·ℓ_FR with log ρ from `density`
    /// and the Fisher-Rao weight c = `weight` (finite, > 0; the jump-rate scale, in units of
    /// the Wasserstein term).
    pub fn new(
        manifold: M,
        eps: f64,
        density: impl RateDensity + 'static,
        weight: f64,
    ) -> Result<Self> {
        Ok(Self {
            langevin: MinimumVelocity::riemannian(manifold, eps)?,
            density: Box::new(density),
            weight: positive("Fisher-Rao weight", weight)?,
        })
    }

    /// Turns the control variate of the Langevin part on (the default) or off.
    pub fn control_variate(mut self, on: bool) -> Self {
        self.langevin = self.langevin.control_variate(on);
        self
    }

    /// The sampled form: MVL over birth-death Langevin on `manifold` towards q^{1/2} with base
    /// step ε (rescaled per row, as [`MinimumVelocity::riemannian`]) and jump-rate scale c =
    /// `jump_scale` (finite, > 0), control variate on.
    pub fn sampled(
        manifold: M,
        eps: f64,
        jump_scale: f64,
    ) -> Result<MinimumVelocity<BirthDeathLangevin<M>>> {
        let flow = BirthDeathLangevin::new(eps)?
            .energy_scale(0.5)?
            .rescaled(true)
            .jump_rate_scale(jump_scale)?;
        Ok(MinimumVelocity::new(flow.on(manifold)))
    }

    /// The Fisher-Rao terms c β̄ᵢ (Eᵢ − Ē) at the batch `y` (`[B, n]` → `[B]`),
    /// differentiable with respect to the energy's parameters through E and ½E in β̄.
    pub fn fisher_rao(&self, energy: &dyn Energy, y: &Tensor) -> Result<Tensor> {
        check_batch(self.name(), energy, y)?;
        let e = energy.energy(y);
        let log_rho = self.density.log_density(y)?.detach();
        if log_rho.size() != e.size() {
            return Err(ObjectiveError::ShapeMismatch {
                what: "rate density log ρ",
                expected: format!("{:?}", e.size()),
                got: log_rho.size(),
            });
        }
        let beta = log_rho + &e * 0.5;
        let beta = &beta - beta.mean(beta.kind());
        let centred = &e - e.mean(e.kind());
        Ok(beta * centred * self.weight)
    }
}

impl<M: Manifold> Objective for WassersteinFisherRao<M> {
    fn name(&self) -> &'static str {
        if self.langevin.control_variate {
            "WFR-MVL-CV"
        } else {
            "WFR-MVL"
        }
    }

    fn per_sample(&self, energy: &dyn Energy, y: &Tensor) -> Result<Tensor> {
        let wasserstein = self.langevin.per_sample(energy, y)?;
        Ok(wasserstein + self.fisher_rao(energy, y)?)
    }
}

#[cfg(test)]
mod tests;
