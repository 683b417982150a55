//! The WAE's networks and losses.

use super::{Critic, Observation, Wae, WaeConfig, WaeLoss, WaeMethod, mmd};
use crate::elbo::bernoulli_nll;
use crate::entropy::{mvl_objective, score_model_loss};
use crate::error::{AeError, Result, check_width};
use crate::kl_to_prior;
use crate::latent::EnergyNet;
use crate::nets::{Activation, Mlp};
use mvl_objectives::Objective;
use tch::{Device, Kind, Tensor, nn};

/// The authors' floor inside the discriminator's logarithms (paper-spec §9.3).
const GAN_LOG_FLOOR: f64 = 1e-7;

impl Wae {
    /// The model with its encoder and decoder under `autoencoder` (`encoder/…`,
    /// `decoder/…`) and its energy or discriminator under `critic` (nothing for MMD); give
    /// the two paths from two stores, one per parameter group ([`WaeConfig::groups`]). MVL
    /// trains its energy with the authors' objective ([`crate::mvl_objective`];
    /// [`Wae::with_objective`] replaces it).
    pub fn new(autoencoder: &nn::Path, critic: &nn::Path, config: WaeConfig) -> Result<Self> {
        config.validate()?;
        let (d, h, n) = (config.latent.ambient_dim(), config.hidden, config.data_dim);
        let act = Activation::Tanh;
        let critic = match config.method {
            WaeMethod::Mvl { flow } => Critic::Energy(
                EnergyNet::new(critic, config.latent, 0, h)?,
                mvl_objective(config.latent, config.step_size, flow)?,
            ),
            WaeMethod::Gan => Critic::Discriminator(Mlp::new(critic, &[d, h, h, 1], act)),
            WaeMethod::Mmd => Critic::None,
        };
        Ok(Self {
            config,
            encoder: Mlp::new(&(autoencoder / "encoder"), &[n, h, h, d], act),
            decoder: Mlp::new(&(autoencoder / "decoder"), &[d, h, h, n], act),
            critic,
        })
    }

    /// The same model with its energy trained by `objective` instead (e.g. sliced score
    /// matching); [`AeError::InvalidConfig`] unless the method is MVL.
    pub fn with_objective(mut self, objective: Box<dyn Objective>) -> Result<Self> {
        match &mut self.critic {
            Critic::Energy(_, current) => *current = objective,
            _ => Err(AeError::InvalidConfig {
                name: "energy objective",
                value: f64::NAN,
                reason: "only the MVL method has an energy network to train",
            })?,
        }
        Ok(self)
    }

    /// The settings.
    pub fn config(&self) -> &WaeConfig {
        &self.config
    }

    /// The marginal energy network (MVL only).
    pub fn energy(&self) -> Option<&EnergyNet> {
        match &self.critic {
            Critic::Energy(net, _) => Some(net),
            _ => None,
        }
    }

    /// The latents z = f(x) `[b, d_z]` of the batch `x` `[b, data_dim]` (deterministic,
    /// unit-norm on the sphere).
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        check_width("data batch", x, self.config.data_dim)?;
        Ok(self.config.latent.project(&self.encoder.forward(x)))
    }

    /// The decoder's output `[b, data_dim]` at latents `z` `[b, d_z]`: Bernoulli logits, or
    /// the tanh-squashed mean for [`Observation::Normal`].
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.config.latent.check(z)?;
        let out = self.decoder.forward(&(z * self.config.latent.scale()));
        Ok(match self.config.observation {
            Observation::Bernoulli => out,
            Observation::Normal => out.tanh(),
        })
    }

    /// `n` generated images `[n, data_dim]` in `options` from prior draws: the Bernoulli
    /// means σ(logits) (binarise them for the MNIST FID protocol, paper-spec §5.5) or the
    /// decoder's tanh output.
    pub fn generate(&self, n: i64, options: (Kind, Device)) -> Result<Tensor> {
        let z = self.config.latent.prior()?.sample(n, options);
        let out = self.decode(&z)?;
        Ok(match self.config.observation {
            Observation::Bernoulli => out.sigmoid(),
            Observation::Normal => out,
        })
    }

    /// The autoencoder's loss on the batch `x` (binarised for Bernoulli observations;
    /// paper-spec §5.1-5.4): reconstruction (mean over the batch of the summed BCE or
    /// squared error) + λ·penalty, the penalty
    /// - MVL: KL(q̃ ‖ p) ≈ −mean ln p(z) − mean E(z), its gradient from the score of the
    ///   energy ([`kl_to_prior`]); the energy gets no gradient;
    /// - GAN: −mean ln σ(D(z)) (non-saturating);
    /// - MMD: [`mmd`] of (z, z_p), with z_p a fresh prior draw per row.
    pub fn loss(&self, x: &Tensor) -> Result<WaeLoss> {
        let z = self.encode(x)?;
        let out = self.decode(&z)?;
        let reconstruction = match self.config.observation {
            Observation::Bernoulli => bernoulli_nll(&out, x),
            Observation::Normal => {
                (out - x.to_kind(z.kind()))
                    .square()
                    .sum_dim_intlist(1, false, z.kind())
            }
        }
        .mean(z.kind());
        let penalty = match &self.critic {
            Critic::Energy(energy, _) => kl_to_prior(&self.config.latent, energy, &z)?,
            Critic::Discriminator(d) => -self.discriminate(d, &z).log_sigmoid().mean(z.kind()),
            Critic::None => mmd(&z, &self.prior_like(&z)?)?,
        };
        let loss = &reconstruction + &penalty * self.config.lambda;
        Ok(WaeLoss {
            reconstruction,
            penalty,
            loss,
        })
    }

    /// The loss of the second network on the batch `x` (encoder outputs detached):
    /// - MVL: c·ε₀·J(z) + gp·[mean E(z)² + mean E(z⁻)²] (paper-spec §2.7, §5.2:
    ///   c = 1e-3/ε₀), J the objective's value;
    /// - GAN: −[mean ln(σ(D(z_p)) + 1e-7) + mean ln(1 − σ(D(z)) + 1e-7)] + gp·2·mean D(z)²
    ///   with z_p a fresh prior draw per row (paper-spec §5.3);
    ///
    /// [`AeError::InvalidConfig`] for MMD, which has no second network.
    pub fn critic_loss(&self, x: &Tensor) -> Result<Tensor> {
        let z = tch::no_grad(|| self.encode(x))?;
        let c = &self.config;
        match &self.critic {
            Critic::Energy(energy, objective) => {
                let scale = c.loss_scale * c.step_size;
                score_model_loss(objective.as_ref(), energy, &z, scale, c.regularizer)
            }
            Critic::Discriminator(d) => {
                let (real, fake) = (
                    self.discriminate(d, &self.prior_like(&z)?),
                    self.discriminate(d, &z),
                );
                let log_floor = |t: Tensor| (t + GAN_LOG_FLOOR).log().mean(z.kind());
                let data = log_floor(real.sigmoid()) + log_floor(-fake.sigmoid() + 1.0);
                Ok(-data + fake.square().mean(z.kind()) * (2.0 * c.regularizer))
            }
            Critic::None => Err(AeError::InvalidConfig {
                name: "phase",
                value: 1.0,
                reason: "WAE-MMD has no second network (one parameter group)",
            }),
        }
    }

    /// The discriminator's logits `[b]` at latents `z`.
    fn discriminate(&self, d: &Mlp, z: &Tensor) -> Tensor {
        d.forward(&(z * self.config.latent.scale())).squeeze_dim(1)
    }

    /// As many prior draws as `z` has rows, in its kind and device.
    fn prior_like(&self, z: &Tensor) -> Result<Tensor> {
        let prior = self.config.latent.prior()?;
        Ok(prior.sample(z.size()[0], (z.kind(), z.device())))
    }
}
