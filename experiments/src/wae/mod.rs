//! The MNIST WAEs of the paper's Table 2 (paper-spec §5) as the `mnist-wae` binary runs them:
//! what identifies a run, how its model is built, the FID monitor and the summary rows
//! (`<out>/mnist-wae/summary.json`, one per run).

mod monitor;
pub mod table;

pub use monitor::{FidPass, FidPoint};

use crate::cli::positive_finite;
use crate::mnist::Latent;
use crate::rows::Keyed;
use anyhow::{Result, bail};
use mvl_ae::MvlFlow;
use mvl_ae::latent::Geometry;
use mvl_ae::wae::{Wae, WaeConfig, WaeMethod};
use mvl_train::GroupConfig;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tch::{Device, nn};

/// How the divergence between the aggregate posterior and the prior is estimated.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// KL with the entropy gradient of an energy trained by (Riemannian) MVL (ours).
    Mvl,
    /// WAE-GAN: a latent discriminator (baseline).
    Gan,
    /// WAE-MMD: kernel maximum mean discrepancy (baseline).
    Mmd,
}

/// The sampler of the MVL energy's objective.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// Langevin dynamics (Riemannian Langevin on the sphere; the paper's).
    Langevin,
    /// Stochastic particle optimisation (SVGD + Langevin); --latent euc only.
    Spos,
}

/// The command-line flags that name a run.
#[derive(clap::Args, Debug, Clone)]
pub struct WaeArgs {
    /// Latent geometry (euc: N(0, I) prior on R^nz; sph: uniform prior on S^nz).
    #[arg(long, value_enum, default_value = "sph")]
    pub latent: Latent,
    /// Divergence estimator: mvl (ours), gan or mmd (baselines).
    #[arg(long, value_enum, default_value = "mvl")]
    pub method: Method,
    /// Sampler of the MVL energy (--method mvl only; spos needs --latent euc).
    #[arg(long, value_enum, default_value = "langevin")]
    pub flow: Flow,
    /// Latent dimension nz (S^nz ⊂ R^{nz+1} on the sphere; the paper: 8).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(i64).range(1..))]
    pub nz: i64,
    /// The authors' `wae_lambda`: the penalty weight of MVL and GAN; MMD is weighted by
    /// 100·lambda, as the authors' code does (finite, > 0).
    #[arg(long, allow_negative_numbers = true, default_value_t = 10.0, value_parser = positive_finite)]
    pub lambda: f64,
    /// Seed (initialisation, batches, noise, FID samples).
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
}

impl WaeArgs {
    /// The run these flags name, checked.
    pub fn spec(&self) -> Result<WaeSpec> {
        let spec = WaeSpec {
            latent: self.latent,
            method: self.method,
            flow: (self.method == Method::Mvl).then_some(self.flow),
            nz: self.nz,
            lambda: self.lambda,
            seed: self.seed,
        };
        spec.config()?;
        Ok(spec)
    }
}

/// What identifies a run (its folder, its summary row and its checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WaeSpec {
    /// Latent geometry.
    pub latent: Latent,
    /// Divergence estimator.
    pub method: Method,
    /// The MVL energy's sampler (`None` for GAN and MMD).
    pub flow: Option<Flow>,
    /// Latent dimension nz.
    pub nz: i64,
    /// The authors' `wae_lambda` (MMD weighs by 100·lambda).
    pub lambda: f64,
    /// Seed.
    pub seed: u64,
}

impl WaeSpec {
    /// The model's settings: the authors' MNIST values ([`WaeConfig::paper`]) with this
    /// run's latent, method and penalty weight; an error for SPOS on the sphere or a bad
    /// setting.
    pub fn config(&self) -> Result<WaeConfig> {
        let geometry = match self.latent {
            Latent::Euc => Geometry::Euclidean,
            Latent::Sph => Geometry::Sphere,
        };
        let method = match (self.method, self.flow) {
            (Method::Mvl, Some(Flow::Spos)) if self.latent == Latent::Sph => {
                bail!("--flow spos runs in R^nz only: use it with --latent euc")
            }
            (Method::Mvl, Some(Flow::Spos)) => WaeMethod::Mvl {
                flow: MvlFlow::Spos,
            },
            (Method::Mvl, _) => WaeMethod::Mvl {
                flow: MvlFlow::Langevin,
            },
            (Method::Gan, _) => WaeMethod::Gan,
            (Method::Mmd, _) => WaeMethod::Mmd,
        };
        let mut config = WaeConfig::paper(geometry, self.nz, method)?;
        config.lambda = match self.method {
            Method::Mmd => 100.0 * self.lambda,
            _ => self.lambda,
        };
        config.validate()?;
        Ok(config)
    }

    /// `<latent>-<method>[-spos]-nz<nz>-l<lambda>-s<seed>`, e.g. `sph-mvl-nz8-l10-s1234`.
    pub fn name(&self) -> String {
        let lower = |v: &dyn std::fmt::Debug| format!("{v:?}").to_lowercase();
        let flow = match self.flow {
            Some(Flow::Spos) => "-spos",
            _ => "",
        };
        format!(
            "{}-{}{flow}-nz{}-l{}-s{}",
            lower(&self.latent),
            lower(&self.method),
            self.nz,
            self.lambda,
            self.seed
        )
    }

    /// The run's folder under the experiment folder `dir`.
    pub fn dir(&self, dir: &Path) -> PathBuf {
        dir.join("runs").join(self.name())
    }
}

/// A built WAE, its stores (one per parameter group) and the groups in phase order.
#[derive(Debug)]
pub struct BuiltWae {
    /// The model.
    pub model: Wae,
    /// Its parameters, one store per group.
    pub stores: Vec<nn::VarStore>,
    /// The groups (TF1 RMSProp at the authors' rate), in phase order.
    pub groups: Vec<GroupConfig>,
}

/// Builds the paper's WAE for `spec` on `device` (f32), initialised from libtorch's
/// generator (seed it first).
pub fn build(spec: &WaeSpec, device: Device) -> Result<BuiltWae> {
    let config = spec.config()?;
    let groups = config.groups();
    let stores: Vec<nn::VarStore> = groups.iter().map(|_| nn::VarStore::new(device)).collect();
    // MMD has one group: its (unused) critic path may share the autoencoder's store.
    let critic = stores.get(1).unwrap_or(&stores[0]).root();
    let model = Wae::new(&stores[0].root(), &critic, config)?;
    Ok(BuiltWae {
        model,
        stores,
        groups,
    })
}

/// One row of `<out>/mnist-wae/summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaeRow {
    /// The run.
    #[serde(flatten)]
    pub spec: WaeSpec,
    /// Training iterations.
    pub iters: usize,
    /// The final FID (LeNet features, locally trained classifier: not comparable with the
    /// paper's values in absolute terms).
    pub fid: f64,
    /// Generated images of the final FID (against the 10,000 test images).
    pub fid_samples: i64,
    /// The test accuracy of the FID classifier.
    pub classifier_accuracy: f64,
    /// Training seconds (all invocations of a resumed run), FID passes included.
    pub train_seconds: f64,
    /// The mean autoencoder loss of the last 1,000 iterations.
    pub final_loss: f64,
}

impl Keyed for WaeRow {
    type Key = (Latent, Method, Option<Flow>, i64, u64, u64);
    fn key(&self) -> Self::Key {
        let s = &self.spec;
        // λ > 0 and finite: the order of its bits is the order of its values.
        (s.latent, s.method, s.flow, s.nz, s.lambda.to_bits(), s.seed)
    }
}
