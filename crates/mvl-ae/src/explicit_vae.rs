//! The explicit VAE baselines of paper §6.2 / paper-spec §4.5: a Gaussian VAE and a
//! hyperspherical (von Mises-Fisher) VAE, ReLU networks, one optimiser over all variables.

use crate::elbo::{Elbo, bernoulli_nll};
use crate::error::{AeError, Result, at_least};
use crate::latent::{Geometry, LatentSpace};
use crate::nets::{Activation, Dense, Mlp};
use mvl_manifold::VonMisesFisher;
use mvl_train::{PhaseError, PhaseStep};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

/// The posterior family of an explicit VAE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Posterior {
    /// q(z|x) = N(m(x), diag s(x)²) on R^nz, prior N(0, I).
    Gaussian,
    /// q(z|x) = vMF(μ(x), κ(x)) on S^nz, prior uniform (Davidson et al. 2018).
    VonMisesFisher,
}

/// The settings of an explicit VAE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplicitVaeConfig {
    /// The posterior family (and with it the latent geometry).
    pub posterior: Posterior,
    /// The latent dimension nz (S^nz ⊂ R^{nz+1} for the vMF).
    pub nz: i64,
    /// Hidden width (256).
    pub hidden: i64,
    /// Data width (784).
    pub data_dim: i64,
}

impl ExplicitVaeConfig {
    /// The authors' settings for MNIST: hidden 256, data 784 (paper-spec §4.5).
    pub fn paper(posterior: Posterior, nz: i64) -> Result<Self> {
        at_least("latent dimension nz", nz, 1)?;
        Ok(Self {
            posterior,
            nz,
            hidden: 256,
            data_dim: 784,
        })
    }

    /// The latent space: R^nz for the Gaussian, S^nz for the vMF.
    pub fn latent(&self) -> Result<LatentSpace> {
        let geometry = match self.posterior {
            Posterior::Gaussian => Geometry::Euclidean,
            Posterior::VonMisesFisher => Geometry::Sphere,
        };
        LatentSpace::new(geometry, self.nz)
    }
}

/// An explicit VAE (paper-spec §4.5): encoder x → 256 ReLU → 256 ReLU, then
/// - Gaussian: mean Dense(nz), scale softplus(Dense(nz)) (a standard deviation);
/// - vMF: direction l2-normalised Dense(nz+1), κ = softplus(Dense(1)) + 1 (the +1 keeps the
///   posterior from collapsing to the uniform);
///
/// decoder z_r → 256 ReLU → 256 ReLU → data logits, z_r = √(nz+1)·z on the sphere.
#[derive(Debug)]
pub struct ExplicitVae {
    latent: LatentSpace,
    posterior: Posterior,
    data_dim: i64,
    trunk: Mlp,
    location: Dense,
    spread: Dense,
    decoder: Mlp,
}

impl ExplicitVae {
    /// The model with variables under `path` (`encoder/…`, `decoder/…`).
    pub fn new(path: &nn::Path, config: ExplicitVaeConfig) -> Result<Self> {
        let latent = config.latent()?;
        let h = at_least("hidden width", config.hidden, 1)?;
        let n = at_least("data width", config.data_dim, 1)?;
        let d = latent.ambient_dim();
        let enc = path / "encoder";
        let spread_width = match config.posterior {
            Posterior::Gaussian => config.nz,
            Posterior::VonMisesFisher => 1,
        };
        Ok(Self {
            latent,
            posterior: config.posterior,
            data_dim: n,
            trunk: Mlp::new(&enc, &[n, h, h], Activation::Relu).activated(),
            location: Dense::new(&(&enc / "location"), h, d),
            spread: Dense::new(&(&enc / "spread"), h, spread_width),
            decoder: Mlp::new(&(path / "decoder"), &[d, h, h, n], Activation::Relu),
        })
    }

    /// The latent space.
    pub fn latent(&self) -> LatentSpace {
        self.latent
    }

    /// The decoder's Bernoulli logits `[b, data_dim]` for latents `z` `[b, d_z]`.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.latent.check(z)?;
        Ok(self.decoder.forward(&(z * self.latent.scale())))
    }

    /// The −ELBO of the binarised batch `x` with one reparameterised sample per row: summed
    /// BCE plus the closed-form KL, both means over the batch (paper-spec §4.5):
    /// Gaussian KL = ½Σ(m² + s² − 1 − ln s²) (Kingma & Welling 2014, App. B); vMF
    /// KL = [`VonMisesFisher::kl_to_uniform`], samples by [`VonMisesFisher::rsample`].
    pub fn neg_elbo(&self, x: &Tensor) -> Result<Elbo> {
        let (z, kl) = self.sample_with_kl(x)?;
        let kind = z.kind();
        let reconstruction = bernoulli_nll(&self.decode(&z)?, x).mean(kind);
        Ok(Elbo::new(reconstruction, kl.mean(kind)))
    }

    /// One reparameterised posterior sample per row of `x` `[b, data_dim]`, `[b, d_z]`.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.sample_with_kl(x)?.0)
    }

    /// One posterior sample per row and each row's KL to the prior.
    fn sample_with_kl(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        crate::error::check_width("data batch", x, self.data_dim)?;
        let h = self.trunk.forward(x);
        let location = self.location.forward(&h);
        let spread = self.spread.forward(&h).softplus();
        Ok(match self.posterior {
            Posterior::Gaussian => {
                let z = &location + &spread * location.randn_like();
                let terms = location.square() + spread.square() - 1.0 - spread.square().log();
                (z, terms.sum_dim_intlist(1, false, h.kind()) * 0.5)
            }
            Posterior::VonMisesFisher => {
                let kappa = spread.squeeze_dim(1) + 1.0;
                let q = VonMisesFisher::new(&self.latent.project(&location), &kappa)?;
                (q.rsample(1).squeeze_dim(0), q.kl_to_uniform())
            }
        })
    }
}

/// One iteration of explicit-VAE training for [`mvl_train::train_groups`] with one group:
/// the −ELBO of the binarised batch `batch(iteration)`.
pub struct ExplicitVaeStep<'a> {
    model: &'a ExplicitVae,
    batch: &'a dyn Fn(usize) -> Tensor,
}

impl<'a> ExplicitVaeStep<'a> {
    /// Trains `model` on the batches `batch(iteration)` (intensities in [0, 1]).
    pub fn new(model: &'a ExplicitVae, batch: &'a dyn Fn(usize) -> Tensor) -> Self {
        Self { model, batch }
    }
}

impl PhaseStep for ExplicitVaeStep<'_> {
    fn loss(&mut self, iteration: usize, phase: usize) -> std::result::Result<Tensor, PhaseError> {
        if phase != 0 {
            Err(AeError::InvalidConfig {
                name: "phase",
                value: phase as f64,
                reason: "the explicit VAE has one phase",
            })?;
        }
        let x = crate::data::binarize(&(self.batch)(iteration));
        Ok(self.model.neg_elbo(&x)?.loss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mvl_manifold::testing::seeded;
    use mvl_train::{GroupConfig, GroupsConfig, OptimizerConfig, train_groups};
    use tch::{Device, Kind};

    /// A few hundred steps on two noisy prototypes lower the −ELBO of both baselines.
    #[test]
    fn both_baselines_train() {
        let _seed = seeded(61);
        let data = crate::implicit_vae::tests::toy_data(128, 16);
        for posterior in [Posterior::Gaussian, Posterior::VonMisesFisher] {
            let mut vs = nn::VarStore::new(Device::Cpu);
            let config = ExplicitVaeConfig {
                posterior,
                nz: 2,
                hidden: 16,
                data_dim: 16,
            };
            let model = ExplicitVae::new(&vs.root(), config).expect("valid");
            let batches = crate::data::Batches::new(128, 32, 1).expect("valid");
            let batch = |i: usize| batches.batch(&data, i);
            let mut step = ExplicitVaeStep::new(&model, &batch);
            let run = GroupsConfig {
                label: "explicit".into(),
                iterations: 300,
                groups: vec![GroupConfig {
                    name: "model".into(),
                    optimizer: OptimizerConfig::TfRmsProp { lr: 3e-3 },
                }],
                seed: Some(1),
                checkpoint_every: 1000,
                extra: serde_json::json!({}),
            };
            let log = train_groups(&run, &mut [&mut vs], &mut step, &mut [], None).expect("trains");
            let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
            let (first, last) = (mean(&log.losses[..30]), mean(&log.losses[270..]));
            assert!(last < first - 2.0, "{posterior:?}: −ELBO {first} → {last}");
        }
        let bad = ExplicitVae::new(
            &nn::VarStore::new(Device::Cpu).root(),
            ExplicitVaeConfig::paper(Posterior::Gaussian, 2).expect("valid"),
        )
        .expect("valid");
        let wrong = Tensor::zeros([4, 10], (Kind::Float, Device::Cpu));
        assert!(matches!(
            bad.neg_elbo(&wrong),
            Err(AeError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            ExplicitVaeConfig::paper(Posterior::VonMisesFisher, 0),
            Err(AeError::InvalidConfig { .. })
        ));
    }
}
