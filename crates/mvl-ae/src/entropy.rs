//! The entropy gradient of an implicit distribution from a learned score (paper eq. 19).

use crate::error::{AeError, Result, non_negative};
use crate::latent::{Geometry, LatentSpace};
use mvl_flows::{Langevin, Spos};
use mvl_manifold::{Energy, Euclidean, Manifold, Sphere};
use mvl_objectives::{MinimumVelocity, Objective};
use serde::{Deserialize, Serialize};
use tch::Tensor;

/// A scalar whose gradient with respect to the parameters φ of a sampler z = g_φ(ε) on
/// `manifold` estimates the gradient of the entropy H(q_φ) = −E_q ln q_φ(z), given an energy
/// E ≈ −ln q_φ + const (paper eq. 19, on a manifold as in paper §5):
///
/// ∇_φ H = −E_ε[⟨grad ln q(z), ∂z/∂φ⟩] ≈ E_ε[⟨grad E(z), ∂z/∂φ⟩],
///
/// with grad E the Riemannian gradient of E, the tangent projection of the ambient gradient
/// for a submanifold with the induced metric ([`Manifold::to_tangent`]; on S^n,
/// (I − zzᵀ)∇E; the identity in R^n), so the score is taken inside the manifold. The
/// surrogate is meanᵢ ⟨sg(grad E(zᵢ)), zᵢ⟩ with the score held fixed: only z carries φ, and
/// the energy's own parameters receive no gradient from it. Its value is not the entropy.
///
/// # Shapes
/// `z`: `[b, n]` samples on `manifold` (ambient coordinates, with their graph to φ);
/// result `[]`.
///
/// ```
/// use mvl_ae::entropy_surrogate;
/// use mvl_manifold::{Euclidean, FnEnergy};
/// use tch::{Device, Kind, Tensor};
///
/// // z = σ·ε with the exact energy of N(0, σ²): the surrogate's σ-gradient is the entropy
/// // gradient dH/dσ = 1/σ = 2.
/// tch::manual_seed(0);
/// let sigma = Tensor::from(0.5f64).set_requires_grad(true);
/// let z = Tensor::randn([100_000, 1], (Kind::Double, Device::Cpu)) * &sigma;
/// let energy = FnEnergy::new(|z: &Tensor| z.square().squeeze_dim(-1) / (2.0 * 0.25));
/// entropy_surrogate(&Euclidean::new(1)?, &energy, &z).backward();
/// let grad = sigma.grad().double_value(&[]);
/// assert!((grad - 2.0).abs() < 0.05, "{grad}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn entropy_surrogate<M: Manifold + ?Sized>(
    manifold: &M,
    energy: &dyn Energy,
    z: &Tensor,
) -> Tensor {
    let at = z.detach();
    let score = manifold.to_tangent(&at, &energy.grad(&at)).detach();
    (score * z)
        .sum_dim_intlist(1, false, z.kind())
        .mean(z.kind())
}

/// The estimate of KL(q ‖ p) = −H(q) − E_q ln p(z) for samples `z` of an implicit q on
/// `latent` and an energy E ≈ −ln q + const, against the latent's prior p (N(0, I) on R^nz,
/// uniform on S^nz), `[]`:
///
/// value −mean ln p(zᵢ) − mean E(zᵢ) (ln q ≈ −E with the normaliser dropped, paper-spec
/// §4.3); gradient with respect to the sampler's parameters −∇ mean ln p(zᵢ) − ∇H, the
/// entropy gradient ∇H from [`entropy_surrogate`] (paper eq. 19). The energy's parameters
/// receive no gradient from it. This is the implicit VAE's KL term (conditional energy,
/// q = q(z|x)) and the WAE's penalty KL(q̃(z) ‖ p(z)) (marginal energy, q̃ the aggregate
/// posterior; paper §6.3, paper-spec §5.2).
///
/// Errors: [`crate::AeError::ShapeMismatch`] or [`crate::AeError::UnsupportedKind`] when `z`
/// is not a floating-point `[b ≥ 1, d_z]` batch.
///
/// # Shapes
/// `z`: `[b, d_z]` (with its graph to the sampler's parameters); result `[]`.
///
/// ```
/// use mvl_ae::kl_to_prior;
/// use mvl_ae::latent::{Geometry, LatentSpace};
/// use mvl_manifold::GaussianEnergy;
/// use tch::{Device, Kind, Tensor};
///
/// // q = N(0, σ²) on R¹ with its exact energy: dKL(q ‖ N(0, 1))/dσ = σ − 1/σ = −1.5 at σ = ½.
/// tch::manual_seed(0);
/// let opts = (Kind::Double, Device::Cpu);
/// let sigma = Tensor::from(0.5f64).set_requires_grad(true);
/// let z = Tensor::randn([100_000, 1], opts) * &sigma;
/// let energy = GaussianEnergy::new(&Tensor::zeros([1], opts), 0.5)?;
/// let latent = LatentSpace::new(Geometry::Euclidean, 1)?;
/// kl_to_prior(&latent, &energy, &z)?.backward();
/// let grad = sigma.grad().double_value(&[]);
/// assert!((grad + 1.5).abs() < 0.03, "{grad}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn kl_to_prior(latent: &LatentSpace, energy: &dyn Energy, z: &Tensor) -> Result<Tensor> {
    latent.check(z)?;
    let prior = latent.prior_log_prob(z).mean(z.kind());
    let mean_energy = tch::no_grad(|| energy.energy(z).mean(z.kind()));
    let surrogate = match latent.geometry {
        Geometry::Sphere => entropy_surrogate(&Sphere::new(latent.nz)?, energy, z),
        Geometry::Euclidean => entropy_surrogate(&Euclidean::new(latent.nz)?, energy, z),
    };
    // Value −mean E(z), gradient −∇(surrogate) = −∇H estimate.
    let neg_entropy = -mean_energy - (&surrogate - surrogate.detach());
    Ok(neg_entropy - prior)
}

/// The sampler whose minimum velocity objective trains a score model in R^nz (on S^nz the
/// authors always use Riemannian Langevin, paper-spec §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MvlFlow {
    /// Langevin dynamics (`mpf_euc`, paper-spec §2.1; Riemannian Langevin `mpf_sph` on the
    /// sphere, §2.3).
    #[default]
    Langevin,
    /// The stochastic particle-optimisation sampler blending SVGD and Langevin with α = ½ and
    /// the authors' noise weighting (`mpf_euc_spos`, paper-spec §2.4); R^nz only.
    Spos,
}

/// The minimum velocity objective the authors train score models with (paper-spec §2.6):
/// towards q^{1/2} with base step ε₀ = `step_size`, per-row step rescaling and the control
/// variate; Riemannian Langevin on S^nz (`mpf_sph`), Langevin (`mpf_euc`) or SPOS
/// (`mpf_euc_spos`) in R^nz. [`crate::AeError::InvalidConfig`] for SPOS on the sphere (the
/// authors' SPOS is Euclidean only), a step size that is not finite and > 0.
pub fn mvl_objective(
    latent: LatentSpace,
    step_size: f64,
    flow: MvlFlow,
) -> Result<Box<dyn Objective>> {
    let eps = non_negative("MVL step size", step_size, false)?;
    Ok(match (latent.geometry, flow) {
        (Geometry::Sphere, MvlFlow::Langevin) => {
            Box::new(MinimumVelocity::riemannian(Sphere::new(latent.nz)?, eps)?)
        }
        (Geometry::Euclidean, MvlFlow::Langevin) => {
            let flow = Langevin::new(eps)?.energy_scale(0.5)?.rescaled(true);
            Box::new(MinimumVelocity::new(flow))
        }
        (Geometry::Euclidean, MvlFlow::Spos) => {
            let flow = Spos::new(eps)?.energy_scale(0.5)?.rescaled(true);
            Box::new(MinimumVelocity::new(flow))
        }
        (Geometry::Sphere, MvlFlow::Spos) => Err(AeError::InvalidConfig {
            name: "MVL flow (SPOS)",
            value: latent.nz as f64,
            reason: "SPOS is available in R^nz only (paper-spec §2.4); use Langevin on S^nz",
        })?,
    })
}

/// The loss of a score model E trained on samples `z` (detached by the caller) with
/// `objective` (paper-spec §2.7):
///
/// L_E = scale·J(z) + λ·[mean E(z)² + mean E(z⁻)²],
///
/// J the objective's value (for MVL, mean ℓ with ℓ = −D/ε₀ in the spec's notation, so
/// scale = c·ε₀ gives the spec's c·mean(−D)), λ = `regularizer` (the authors' `-gp`, an L2
/// penalty on energy values), z⁻ the points the objective's sampler step moved z to (that
/// term only for objectives that make one, [`Objective::loss_and_moved_energy`]).
pub(crate) fn score_model_loss(
    objective: &dyn Objective,
    energy: &dyn Energy,
    z: &Tensor,
    scale: f64,
    regularizer: f64,
) -> Result<Tensor> {
    let (loss, moved) = objective.loss_and_moved_energy(energy, z)?;
    let square_mean = |e: &Tensor| e.square().mean(e.kind());
    let moved_penalty = moved.map_or_else(|| loss.zeros_like(), |m| square_mean(&m));
    let penalty = square_mean(&energy.energy(z)) + moved_penalty;
    Ok(loss * scale + penalty * regularizer)
}

#[cfg(test)]
mod tests;
