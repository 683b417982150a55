//! The implicit hyperspherical (or Euclidean) VAE of paper §5 / paper-spec §4.2-4.4.
//!
//! The encoder maps (x, ε) with ε ~ N(0, I) to a latent z, so q(z|x) is only sampled; an
//! energy E(z|x) ≈ −ln q(z|x) + c(x), trained by minimum velocity learning on fresh encoder
//! samples, supplies the entropy gradient of the KL term (paper eq. 19). Training alternates
//! two phases with their own TF1 RMSProp optimisers ([`groups`], [`ImplicitVaeStep`] with
//! [`mvl_train::train_groups`]): the −ELBO over the encoder and decoder, then the energy loss
//! over the energy network, on new samples of the updated encoder and the same minibatch.

use crate::data::{IterationBatch, binarize};
use crate::elbo::{Elbo, bernoulli_nll};
use crate::entropy::{MvlFlow, mvl_objective, score_model_loss};
use crate::error::{AeError, Result, at_least, check_width, non_negative};
use crate::kl_to_prior;
use crate::latent::{EnergyNet, Geometry, LatentSpace};
use crate::nets::{Activation, Mlp};
use mvl_objectives::Objective;
use mvl_train::{GroupConfig, OptimizerConfig, PhaseError, PhaseStep};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

/// The settings of an implicit VAE (paper-spec §4.2-4.4; [`ImplicitVaeConfig::paper`] has
/// the authors' values).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImplicitVaeConfig {
    /// The latent space (the authors' `-latent`, `-z_dims`).
    pub latent: LatentSpace,
    /// Width of the encoder's noise input ε (`-eps_dims`; the VAE scripts use nz).
    pub noise_dim: i64,
    /// Hidden width of every network (`-h_dims`, 256).
    pub hidden: i64,
    /// Width of the data (784 for MNIST).
    pub data_dim: i64,
    /// The MVL sampler's base step ε₀ (`-mpf_lr`, 1e-3; not a learning rate).
    pub step_size: f64,
    /// The factor c of the energy loss c·ε₀·J (paper-spec §2.7: c = 1 for the VAE).
    pub loss_scale: f64,
    /// The weight λ of the energy-value penalty (`-gp`, 1e-4 in the VAE scripts).
    pub regularizer: f64,
}

impl ImplicitVaeConfig {
    /// The authors' settings for MNIST with nz latent dimensions on `geometry`: noise width
    /// nz, hidden 256, data 784, ε₀ = 1e-3, c = 1, λ = 1e-4 (paper-spec §4.2-4.4).
    pub fn paper(geometry: Geometry, nz: i64) -> Result<Self> {
        let config = Self {
            latent: LatentSpace::new(geometry, nz)?,
            noise_dim: nz,
            hidden: 256,
            data_dim: 784,
            step_size: 1e-3,
            loss_scale: 1.0,
            regularizer: 1e-4,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks every setting ([`AeError::InvalidConfig`] naming the first bad one).
    pub fn validate(&self) -> Result<()> {
        LatentSpace::new(self.latent.geometry, self.latent.nz)?;
        at_least("noise width", self.noise_dim, 0)?;
        at_least("hidden width", self.hidden, 1)?;
        at_least("data width", self.data_dim, 1)?;
        non_negative("MVL step size", self.step_size, false)?;
        non_negative("energy loss scale", self.loss_scale, false)?;
        non_negative("energy regulariser", self.regularizer, true)?;
        Ok(())
    }
}

/// The two parameter groups in phase order, each with TF1 RMSProp at learning rate `lr`
/// (1e-3 for both in the paper, paper-spec §4.4): "autoencoder" (encoder and decoder, the
/// −ELBO) and "energy" (the energy network, the MVL loss).
pub fn groups(lr: f64) -> Vec<GroupConfig> {
    ["autoencoder", "energy"]
        .map(|name| GroupConfig {
            name: name.into(),
            optimizer: OptimizerConfig::TfRmsProp { lr },
        })
        .into()
}

/// The implicit VAE: encoder (x, ε) → 256 tanh → 256 tanh → d_z (normalised on the sphere),
/// decoder z_r → 256 tanh → 256 tanh → data logits (Bernoulli), conditional energy
/// E(z|x) = ⟨z_r, ψ(z_r, x)⟩, with z_r = √d_z·z on the sphere (paper-spec §4.2).
#[derive(Debug)]
pub struct ImplicitVae {
    config: ImplicitVaeConfig,
    encoder: Mlp,
    decoder: Mlp,
    energy: EnergyNet,
}

impl ImplicitVae {
    /// The model with its encoder and decoder under `autoencoder` (`encoder/…`,
    /// `decoder/…`) and its energy under `energy`; give the two paths from two stores,
    /// one per parameter group ([`groups`]).
    pub fn new(
        autoencoder: &nn::Path,
        energy: &nn::Path,
        config: ImplicitVaeConfig,
    ) -> Result<Self> {
        config.validate()?;
        let (d, h, n) = (config.latent.ambient_dim(), config.hidden, config.data_dim);
        let act = Activation::Tanh;
        Ok(Self {
            config,
            encoder: Mlp::new(
                &(autoencoder / "encoder"),
                &[n + config.noise_dim, h, h, d],
                act,
            ),
            decoder: Mlp::new(&(autoencoder / "decoder"), &[d, h, h, n], act),
            energy: EnergyNet::new(energy, config.latent, n, h)?,
        })
    }

    /// The settings.
    pub fn config(&self) -> &ImplicitVaeConfig {
        &self.config
    }

    /// The conditional energy network.
    pub fn energy(&self) -> &EnergyNet {
        &self.energy
    }

    /// One latent sample per row of `x` `[b, data_dim]`, `[b, d_z]`, with fresh encoder
    /// noise (unit-norm on the sphere).
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        check_width("data batch", x, self.config.data_dim)?;
        let b = x.size()[0];
        let eps = Tensor::randn([b, self.config.noise_dim], (x.kind(), x.device()));
        let raw = self.encoder.forward(&Tensor::cat(&[x, &eps], 1));
        Ok(self.config.latent.project(&raw))
    }

    /// The decoder's Bernoulli logits `[b, data_dim]` for latents `z` `[b, d_z]`.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.config.latent.check(z)?;
        Ok(self.decoder.forward(&(z * self.config.latent.scale())))
    }

    /// The −ELBO of the binarised batch `x` with one latent sample per row (paper-spec
    /// §4.3): reconstruction = mean Σ BCE; kl = −mean ln p(z) − mean E(z|x), i.e.
    /// ln q(z|x) ≈ −E(z|x) with the normaliser dropped. Its gradient with respect to the
    /// encoder is that of paper eq. 19 ([`kl_to_prior`], the score held fixed), so
    /// the energy's parameters get no gradient from it.
    pub fn neg_elbo(&self, x: &Tensor) -> Result<Elbo> {
        let z = self.encode(x)?;
        let reconstruction = bernoulli_nll(&self.decode(&z)?, x).mean(z.kind());
        let kl = kl_to_prior(&self.config.latent, &self.energy.given(x)?, &z)?;
        Ok(Elbo::new(reconstruction, kl))
    }

    /// The energy objective the authors train with (paper-spec §2.6, §4.3): Riemannian MVL
    /// on the sphere (`mpf_sph`), Langevin MVL with per-row rescaling in R^nz (`mpf_euc`),
    /// both towards q^{1/2} with step ε₀ and the control variate. Other objectives (sliced
    /// or denoising score matching) may be used instead through [`Objective`].
    pub fn default_objective(&self) -> Result<Box<dyn Objective>> {
        let config = &self.config;
        mvl_objective(config.latent, config.step_size, MvlFlow::Langevin)
    }

    /// The energy's loss on fresh (detached) encoder samples z of the binarised batch `x`
    /// (paper-spec §2.7, §4.3):
    ///
    /// L_E = c·ε₀·J(z) + λ·[mean E(z|x)² + mean E(z⁻|x)²],
    ///
    /// J the value of `objective` (for MVL, mean ℓ with ℓ = −D/ε₀ in the spec's notation, so
    /// c·ε₀·J = c·mean(−D)), z⁻ the points its sampler step moved z to (the second penalty
    /// term only for objectives that make one, [`Objective::loss_and_moved_energy`]).
    pub fn energy_loss(&self, objective: &dyn Objective, x: &Tensor) -> Result<Tensor> {
        let z = tch::no_grad(|| self.encode(x))?;
        let energy = self.energy.given(x)?;
        let c = self.config.loss_scale * self.config.step_size;
        score_model_loss(objective, &energy, &z, c, self.config.regularizer)
    }
}

/// One iteration of implicit-VAE training for [`mvl_train::train_groups`] with [`groups`]:
/// phase 0 draws the iteration's batch, binarises it ([`binarize`]) and returns the −ELBO;
/// phase 1 returns the energy loss on the same binarised batch.
pub struct ImplicitVaeStep<'a> {
    model: &'a ImplicitVae,
    objective: &'a dyn Objective,
    batch: IterationBatch<'a>,
}

impl<'a> ImplicitVaeStep<'a> {
    /// Trains `model`'s energy with `objective` on the batches `batch(iteration)` (pixel
    /// intensities in [0, 1], `[b, data_dim]`, e.g. [`crate::data::Batches`]).
    pub fn new(
        model: &'a ImplicitVae,
        objective: &'a dyn Objective,
        batch: &'a dyn Fn(usize) -> Tensor,
    ) -> Self {
        Self {
            model,
            objective,
            batch: IterationBatch::new(batch, binarize),
        }
    }
}

impl PhaseStep for ImplicitVaeStep<'_> {
    fn loss(&mut self, iteration: usize, phase: usize) -> std::result::Result<Tensor, PhaseError> {
        let x = self.batch.get(iteration);
        Ok(match phase {
            0 => self.model.neg_elbo(&x)?.loss,
            1 => self.model.energy_loss(self.objective, &x)?,
            _ => Err(AeError::InvalidConfig {
                name: "phase",
                value: phase as f64,
                reason: "the implicit VAE has phases 0 (autoencoder) and 1 (energy)",
            })?,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
