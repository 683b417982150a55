//! Wasserstein auto-encoders with a deterministic encoder on R^nz or S^nz (paper §6.3,
//! Table 2; paper-spec §5).
//!
//! The loss of the encoder and decoder is a reconstruction cost plus λ times a divergence
//! between the aggregate posterior q̃(z) = E_x δ(z − f(x)) and the prior p(z) (N(0, I) on
//! R^nz, uniform on S^nz), estimated by one of three methods ([`WaeMethod`]):
//! - **MVL (the paper's)**: KL(q̃ ‖ p), whose entropy gradient comes from a marginal energy
//!   E(z) ≈ −ln q̃(z) trained by (Riemannian) minimum velocity learning ([`crate::kl_to_prior`],
//!   paper eq. 19; paper-spec §5.2);
//! - **WAE-GAN**: a latent discriminator, non-saturating (paper-spec §5.3);
//! - **WAE-MMD**: the kernel maximum mean discrepancy of [`mmd`] (paper-spec §5.4).
//!
//! Training alternates the autoencoder phase and, for MVL and GAN, the energy or
//! discriminator phase, with their own TF1 RMSProp optimisers ([`WaeConfig::groups`],
//! [`WaeStep`] with [`mvl_train::train_groups`]).

mod mmd;

pub use mmd::mmd;

use crate::data::{IterationBatch, binarize};
use crate::entropy::{MvlFlow, mvl_objective};
use crate::error::{AeError, Result, at_least, non_negative};
use crate::latent::{EnergyNet, Geometry, LatentSpace};
use crate::nets::Mlp;
use mvl_objectives::Objective;
use mvl_train::{GroupConfig, OptimizerConfig, PhaseError, PhaseStep};
use serde::{Deserialize, Serialize};
use tch::Tensor;

/// How the divergence between the aggregate posterior and the prior is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum WaeMethod {
    /// KL(q̃ ‖ p) with a marginal energy trained by minimum velocity learning with `flow`
    /// (the authors' `wae`, paper-spec §5.2).
    Mvl {
        /// The sampler of the energy's objective (SPOS only in R^nz).
        flow: MvlFlow,
    },
    /// A latent discriminator (the authors' `wae-gan`, paper-spec §5.3).
    Gan,
    /// The maximum mean discrepancy with the median-heuristic RBF kernel (`wae-mmd`,
    /// paper-spec §5.4). No second network.
    Mmd,
}

/// The observation model of the decoder (the authors' `-observation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observation {
    /// Bernoulli pixels (`sigmoid`, MNIST): the decoder gives logits, the data are
    /// dynamically binarised, the cost is the binary cross-entropy summed over pixels.
    Bernoulli,
    /// `normal` (CIFAR): the decoder's output passes through tanh, the data are used as
    /// given, the cost is the sum of squared errors over pixels (paper-spec §6).
    Normal,
}

/// The settings of a WAE ([`WaeConfig::paper`] has the authors' MNIST values).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WaeConfig {
    /// The latent space (`-latent`, `-z_dims`).
    pub latent: LatentSpace,
    /// The divergence estimator.
    pub method: WaeMethod,
    /// The observation model.
    pub observation: Observation,
    /// Hidden width of every network (`-h_dims`, 256).
    pub hidden: i64,
    /// Width of the data (784 for MNIST).
    pub data_dim: i64,
    /// The weight λ of the divergence in the autoencoder loss.
    pub lambda: f64,
    /// Learning rate of the TF1 RMSProp of every group (`-lr`, 1e-3).
    pub lr: f64,
    /// Minibatch size (128).
    pub batch_size: usize,
    /// The MVL sampler's base step ε₀ (`-mpf_lr`, 1e-3; not a learning rate).
    pub step_size: f64,
    /// The factor c of the energy loss c·mean(−D) (paper-spec §2.7: c = 1e-3/ε₀ for the WAE).
    pub loss_scale: f64,
    /// `-gp` (1e-5 on MNIST): the weight of the energy-value penalty of the MVL energy loss,
    /// and of 2·mean D(z_q)² in the discriminator loss.
    pub regularizer: f64,
}

impl WaeConfig {
    /// The authors' settings for MNIST (paper-spec §5.1-5.4): `nz` latent dimensions on
    /// `geometry` (the paper: nz = 8), deterministic encoder, Bernoulli observations, hidden
    /// width 256 (tanh), data 784, batch 128, RMSProp learning rate 1e-3 for both networks,
    /// ε₀ = 1e-3, c = 1e-3/ε₀, gp = 1e-5, and λ = 10 (`wae_lambda`) for MVL and GAN,
    /// λ = 100·10 = 1000 for MMD (the code weighs the MMD by `wae_lambda * 100`). The
    /// paper trains for 200 000 iterations.
    pub fn paper(geometry: Geometry, nz: i64, method: WaeMethod) -> Result<Self> {
        let step_size = 1e-3;
        let config = Self {
            latent: LatentSpace::new(geometry, nz)?,
            method,
            observation: Observation::Bernoulli,
            hidden: 256,
            data_dim: 784,
            lambda: if method == WaeMethod::Mmd {
                1000.0
            } else {
                10.0
            },
            lr: 1e-3,
            batch_size: 128,
            step_size,
            loss_scale: 1e-3 / step_size,
            regularizer: 1e-5,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks every setting ([`AeError::InvalidConfig`] naming the first bad one, also for
    /// SPOS on the sphere).
    pub fn validate(&self) -> Result<()> {
        LatentSpace::new(self.latent.geometry, self.latent.nz)?;
        at_least("hidden width", self.hidden, 1)?;
        at_least("data width", self.data_dim, 1)?;
        at_least("batch size", self.batch_size as i64, 2)?;
        non_negative("WAE lambda", self.lambda, true)?;
        non_negative("learning rate", self.lr, false)?;
        non_negative("MVL step size", self.step_size, false)?;
        non_negative("energy loss scale", self.loss_scale, false)?;
        non_negative("regulariser (gp)", self.regularizer, true)?;
        if let WaeMethod::Mvl { flow } = self.method {
            mvl_objective(self.latent, self.step_size, flow)?;
        }
        Ok(())
    }

    /// The parameter groups in phase order, each with TF1 RMSProp at [`WaeConfig::lr`]:
    /// "autoencoder" (encoder and decoder), then "energy" (MVL) or "discriminator" (GAN);
    /// MMD has the first only.
    pub fn groups(&self) -> Vec<GroupConfig> {
        let group = |name: &str| GroupConfig {
            name: name.into(),
            optimizer: OptimizerConfig::TfRmsProp { lr: self.lr },
        };
        match self.method {
            WaeMethod::Mvl { .. } => vec![group("autoencoder"), group("energy")],
            WaeMethod::Gan => vec![group("autoencoder"), group("discriminator")],
            WaeMethod::Mmd => vec![group("autoencoder")],
        }
    }
}

/// The second network of a WAE.
#[derive(Debug)]
enum Critic {
    Energy(EnergyNet, Box<dyn Objective>),
    Discriminator(Mlp),
    None,
}

/// The parts of a WAE's autoencoder loss, each `[]`.
#[derive(Debug)]
pub struct WaeLoss {
    /// Mean over the batch of the reconstruction cost (summed over pixels).
    pub reconstruction: Tensor,
    /// The divergence estimate (MVL: the KL estimate −mean ln p(z) − mean E(z); GAN:
    /// −mean ln σ(D(z)); MMD: the MMD).
    pub penalty: Tensor,
    /// reconstruction + λ·penalty, the loss.
    pub loss: Tensor,
}

/// A WAE (paper-spec §5, §4.2 with `eps_dims` = 0): encoder x → 256 tanh → 256 tanh → d_z
/// (normalised on the sphere), decoder z_r → 256 tanh → 256 tanh → data, with z_r = √d_z·z
/// on the sphere; and the marginal energy E(z) = ⟨z_r, ψ(z_r)⟩ (MVL) or the discriminator
/// z_r → 256 tanh → 256 tanh → 1 logit (GAN).
#[derive(Debug)]
pub struct Wae {
    config: WaeConfig,
    encoder: Mlp,
    decoder: Mlp,
    critic: Critic,
}

mod model;

/// One iteration of WAE training for [`mvl_train::train_groups`] with
/// [`WaeConfig::groups`]: phase 0 draws the iteration's batch (binarised for Bernoulli
/// observations) and returns [`Wae::loss`]; phase 1 returns [`Wae::critic_loss`] on the
/// same batch.
pub struct WaeStep<'a> {
    model: &'a Wae,
    batch: IterationBatch<'a>,
}

impl<'a> WaeStep<'a> {
    /// Trains `model` on the batches `batch(iteration)` (`[b, data_dim]`, pixel intensities
    /// in [0, 1] for Bernoulli observations, e.g. [`crate::data::Batches`]).
    pub fn new(model: &'a Wae, batch: &'a dyn Fn(usize) -> Tensor) -> Self {
        let prepare = match model.config.observation {
            Observation::Bernoulli => binarize,
            Observation::Normal => Tensor::shallow_clone,
        };
        Self {
            model,
            batch: IterationBatch::new(batch, prepare),
        }
    }
}

impl PhaseStep for WaeStep<'_> {
    fn loss(&mut self, iteration: usize, phase: usize) -> std::result::Result<Tensor, PhaseError> {
        let x = self.batch.get(iteration);
        Ok(match phase {
            0 => self.model.loss(&x)?.loss,
            1 => self.model.critic_loss(&x)?,
            _ => Err(AeError::InvalidConfig {
                name: "phase",
                value: phase as f64,
                reason: "a WAE has phases 0 (autoencoder) and 1 (energy or discriminator)",
            })?,
        })
    }
}

#[cfg(test)]
mod tests;
