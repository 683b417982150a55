//! The birth-death (Wasserstein-Fisher-Rao) minimum velocity objective on S^2.
//!
//! MVL with a sampler that targets q^{1/2} measures the energy drop of one sampler step
//! (paper eq. 10). The birth-death Langevin sampler (Lu, Lu & Nolen 2019) adds to the
//! Langevin move jumps at rates β̄ = log ρ + ½E − ⟨log ρ + ½E⟩_ρ (ρ the data density): a point
//! with β̄ > 0 dies and a random other point is duplicated, one with β̄ < 0 duplicates itself.
//! Over a step of length ε a point jumps with probability ≈ |β̄|ε, so the jumps' expected
//! energy drop per unit time is
//!
//! ℓ_FR = E_ρ[β̄ (E − E_ρ E)] = Cov_ρ(log ρ + ½E, E) = ½Var_ρ(log ρ + E) − ½Var_ρ(log ρ),
//!
//! i.e. half the θ-dependent part of the Fisher-Rao dissipation ‖grad_FR KL(ρ‖q)‖² =
//! Var_ρ(log ρ/q) — the Fisher-Rao twin of the Wasserstein term ½|∇E|² − ΔE that
//! Riemannian MVL estimates. Unlike the Fisher divergence it sees the relative mass of
//! separated modes: it vanishes only where log q = log ρ + const on the data.
//!
//! [`WassersteinFisherRao`] adds c·ℓ_FR, in this expected (Rao-Blackwellised) form, to the
//! Riemannian MVL estimate of the Langevin part; β̄ keeps its dependence on θ through ½E, so
//! the parameter gradient is Cov(log ρ + E, ∇_θE), that of ½Var(log ρ + E). The sampled form —
//! [`mvl_objectives::MinimumVelocity`] over [`mvl_flows::BirthDeathLangevin`], which draws the
//! jumps — has the same value in expectation but a different gradient: σ is discrete and β̄ is
//! detached, so its gradient is Cov(log ρ + ½E, ∇_θE), whose zero is q ∝ ρ² rather than
//! q = ρ; and each jump contributes O(1/ε), so its variance grows like 1/ε. It is available
//! ([`sampled`]) for comparison.
//!
//! log ρ is a density estimate of the distribution the batches come from: [`RateDensity::TrainingKde`]
//! uses a vMF kernel density estimate of the whole training set (the binary takes the
//! validation-chosen KDE widened by the smoothing noise), [`RateDensity::BatchChart`] the
//! flows crate's own estimate (a Gaussian kernel in one stereographic chart of the batch,
//! median bandwidth).

use super::baselines::log_kde_from_dots;
use mvl_flows::{BirthDeathLangevin, RiemannianLangevin};
use mvl_manifold::{Energy, Sphere};
use mvl_objectives::{MinimumVelocity, Objective, ObjectiveError};
use tch::Tensor;

/// The estimate of log ρ in the rates.
#[derive(Debug)]
pub enum RateDensity {
    /// A vMF kernel density estimate Σⱼ exp(κ(yᵀxⱼ − 1)) of the training points `[N, 3]`
    /// (up to a constant, which the centring removes).
    TrainingKde {
        /// Training points in the training kind and device.
        points: Tensor,
        /// The kernel concentration κ.
        kappa: f64,
    },
    /// [`BirthDeathLangevin::rates`] of the flows crate on S^2 (energy scale ½).
    BatchChart(BirthDeathLangevin<Sphere>),
}

impl RateDensity {
    /// The centred rates β̄ at the batch `y`, differentiable through ½E.
    fn rates(&self, energy: &dyn Energy, y: &Tensor, e: &Tensor) -> Result<Tensor, ObjectiveError> {
        match self {
            RateDensity::TrainingKde { points, kappa } => {
                let log_kde =
                    tch::no_grad(|| log_kde_from_dots(&y.matmul(&points.transpose(0, 1)), *kappa));
                let beta = log_kde + e * 0.5;
                Ok(&beta - beta.mean(beta.kind()))
            }
            RateDensity::BatchChart(flow) => Ok(flow.rates(energy, y)?),
        }
    }
}

/// Riemannian MVL plus c times the expected Fisher-Rao term (module docs), per sample
/// ℓᵢ = ℓ_MVL,ᵢ + c β̄ᵢ (Eᵢ − Ē).
#[derive(Debug)]
pub struct WassersteinFisherRao {
    langevin: MinimumVelocity<RiemannianLangevin<Sphere>>,
    density: RateDensity,
    weight: f64,
}

impl WassersteinFisherRao {
    /// The objective with Riemannian Langevin step `eps` (authors' configuration: energy scale
    /// ½, per-row rescaling, control variate), log ρ from `density`, and Fisher-Rao weight
    /// `weight` (the jump-rate scale c; units of the Wasserstein term, 1/rad²).
    pub fn new(eps: f64, density: RateDensity, weight: f64) -> Result<Self, ObjectiveError> {
        let langevin = crate::train::riemannian_mvl(Sphere::new(2)?, eps)?;
        let weight = mvl_objectives::objective::positive("Fisher-Rao weight", weight)?;
        Ok(Self {
            langevin,
            density,
            weight,
        })
    }
}

impl Objective for WassersteinFisherRao {
    fn name(&self) -> &'static str {
        "WFR-MVL"
    }

    fn per_sample(&self, energy: &dyn Energy, y: &Tensor) -> Result<Tensor, ObjectiveError> {
        let wasserstein = self.langevin.per_sample(energy, y)?;
        let e = energy.energy(y);
        let beta = self.density.rates(energy, y, &e)?;
        let centred = &e - e.mean(e.kind());
        Ok(wasserstein + beta * centred * self.weight)
    }
}

/// The birth-death flow on S^2 towards q^{1/2} with step `eps` (rescaled per row).
pub fn birth_death_flow(
    eps: f64,
    jump_scale: f64,
) -> Result<BirthDeathLangevin<Sphere>, ObjectiveError> {
    let flow = BirthDeathLangevin::new(eps)?
        .energy_scale(0.5)?
        .rescaled(true)
        .jump_rate_scale(jump_scale)?;
    Ok(flow.on(Sphere::new(2)?))
}

/// The sampled birth-death MVL objective: [`MinimumVelocity`] over the birth-death flow.
pub fn sampled(
    eps: f64,
    jump_scale: f64,
) -> Result<MinimumVelocity<BirthDeathLangevin<Sphere>>, ObjectiveError> {
    Ok(MinimumVelocity::new(birth_death_flow(eps, jump_scale)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mvl_manifold::FnEnergy;
    use tch::{Device, Kind};

    /// With E = −log ρ̂ + const exactly (here ρ̂ the KDE itself), β̄ ∝ ½E − ⟨½E⟩ and the FR term
    /// equals ½Var(E); its parameter gradient through a scale a of E = a·E₀ is Cov(log ρ̂ + aE₀,
    /// E₀), zero at a = 1 (checked by autograd against the closed form).
    #[test]
    fn fisher_rao_gradient_vanishes_at_the_density_estimate() {
        tch::manual_seed(5);
        let opts = (Kind::Double, Device::Cpu);
        let pts = Tensor::randn([40, 3], opts);
        let pts = &pts / pts.norm_scalaropt_dim(2, [1], true);
        let kappa = 6.0;
        let density = RateDensity::TrainingKde {
            points: pts.shallow_clone(),
            kappa,
        };
        let log_kde =
            |y: &Tensor, p: &Tensor| log_kde_from_dots(&y.matmul(&p.transpose(0, 1)), kappa);
        let y = Tensor::randn([200, 3], opts);
        let y = &y / y.norm_scalaropt_dim(2, [1], true);
        for (a, zero) in [(1.0, true), (0.5, false), (2.0, false)] {
            let scale = Tensor::from(a).set_requires_grad(true);
            let (s, p) = (scale.shallow_clone(), pts.shallow_clone());
            let energy = FnEnergy::new(move |y: &Tensor| -log_kde(y, &p) * &s);
            let e = energy.energy(&y);
            let beta = density.rates(&energy, &y, &e).expect("rates");
            let fr = (beta * (&e - e.mean(Kind::Double))).mean(Kind::Double);
            let grad = Tensor::run_backward(&[fr], &[&scale], false, false)[0].double_value(&[]);
            let e0 = -log_kde(&y, &pts);
            let cov = ((-&e0 + &e0 * a) - (-&e0 + &e0 * a).mean(Kind::Double))
                * (&e0 - e0.mean(Kind::Double));
            let want = cov.mean(Kind::Double).double_value(&[]);
            assert!(
                (grad - want).abs() < 1e-10 * (1.0 + want.abs()),
                "a = {a}: {grad} vs {want}"
            );
            assert_eq!(grad.abs() < 1e-10, zero, "a = {a}: {grad}");
        }
    }
}
