//! The MNIST models of the paper's Table 1 (implicit and explicit VAEs with Euclidean or
//! hyperspherical latents, paper-spec §4), as the `mnist-vae` and `mnist-vae-eval` binaries
//! run them: what identifies a run, how its model is built and stored, and the summary rows
//! (`<out>/mnist-vae/summary.json`, one per run, filled by training and then evaluation).

mod monitor;
pub mod table;

pub use monitor::MonitorPoint;

use crate::rows::Keyed;
use anyhow::{Context, Result, bail};
use mvl_ae::explicit_vae::{ExplicitVae, ExplicitVaeConfig, Posterior};
use mvl_ae::implicit_vae::{ImplicitVae, ImplicitVaeConfig, groups};
use mvl_ae::latent::Geometry;
use mvl_ae::{Decoder, Elbo};
use mvl_objectives::{DenoisingScoreMatching, Objective, Projection, SlicedScoreMatching};
use mvl_train::{GroupConfig, OptimizerConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tch::{Device, Tensor, nn};

/// The latent geometry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Latent {
    /// R^nz with a standard normal prior.
    Euc,
    /// S^nz ⊂ R^{nz+1} with the uniform prior.
    Sph,
}

/// The encoder.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Encoder {
    /// Noise-input encoder; the entropy gradient from a learned conditional score (ours).
    Implicit,
    /// Gaussian (euc) or von Mises-Fisher (sph) posterior, closed-form KL (baselines).
    Explicit,
}

/// How the implicit VAE's conditional energy is trained.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ScoreObjective {
    /// Minimum velocity learning: Riemannian on S^nz, Langevin in R^nz (the paper's).
    Mvl,
    /// Sliced score matching (one Gaussian projection, variance-reduced); R^nz only.
    Ssm,
    /// Denoising score matching with σ² = ε₀; R^nz only.
    Dsm,
}

/// The command-line flags that name a run, shared by `mnist-vae` and `mnist-vae-eval`.
#[derive(clap::Args, Debug, Clone)]
pub struct SpecArgs {
    /// Latent geometry.
    #[arg(long, value_enum, default_value = "sph")]
    pub latent: Latent,
    /// Latent dimension nz (S^nz ⊂ R^{nz+1} on the sphere; the paper: 8 and 32).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(i64).range(1..))]
    pub nz: i64,
    /// Encoder: implicit (ours) or explicit (Gaussian / vMF baselines).
    #[arg(long, value_enum, default_value = "implicit")]
    pub encoder: Encoder,
    /// Objective of the implicit VAE's energy (ssm and dsm: --latent euc only; ignored for
    /// explicit encoders).
    #[arg(long, value_enum, default_value = "mvl")]
    pub objective: ScoreObjective,
    /// Seed (the paper's runs: 1234, 1235, ...).
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
}

impl SpecArgs {
    /// The run these flags name, checked.
    pub fn spec(&self) -> Result<RunSpec> {
        let objective = (self.encoder == Encoder::Implicit).then_some(self.objective);
        let spec = RunSpec {
            latent: self.latent,
            nz: self.nz,
            encoder: self.encoder,
            objective,
            seed: self.seed,
        };
        spec.validate()?;
        Ok(spec)
    }
}

/// What identifies a run (its folder, its summary row and its checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunSpec {
    /// Latent geometry.
    pub latent: Latent,
    /// Latent dimension nz (S^nz on the sphere).
    pub nz: i64,
    /// Encoder.
    pub encoder: Encoder,
    /// The energy's objective (implicit encoders; `None` for explicit ones).
    pub objective: Option<ScoreObjective>,
    /// Seed (initialisation, batches, noise).
    pub seed: u64,
}

impl RunSpec {
    /// Checks the combination: nz ≥ 1; SSM and DSM only in R^nz (they estimate an ambient
    /// score and ignore the sphere); no objective for explicit encoders.
    pub fn validate(&self) -> Result<()> {
        if self.nz < 1 {
            bail!("--nz must be at least 1, got {}", self.nz);
        }
        match (self.encoder, self.objective, self.latent) {
            (Encoder::Implicit, None, _) => bail!("an implicit encoder needs --objective"),
            (Encoder::Implicit, Some(ScoreObjective::Ssm | ScoreObjective::Dsm), Latent::Sph) => {
                bail!(
                    "--objective ssm/dsm estimate a score in the ambient space and ignore the sphere: \
                 use them with --latent euc, or --objective mvl on the sphere"
                )
            }
            _ => Ok(()),
        }
    }

    /// `<latent>-<encoder>[-<objective>]-nz<nz>-s<seed>`, e.g. `sph-implicit-mvl-nz8-s1234`.
    pub fn name(&self) -> String {
        let objective = self
            .objective
            .map_or(String::new(), |o| format!("-{o:?}").to_lowercase());
        let (latent, encoder) = (format!("{:?}", self.latent), format!("{:?}", self.encoder));
        format!(
            "{}-{}{objective}-nz{}-s{}",
            latent.to_lowercase(),
            encoder.to_lowercase(),
            self.nz,
            self.seed
        )
    }

    /// The run's folder under the experiment folder `dir`.
    pub fn dir(&self, dir: &Path) -> PathBuf {
        dir.join("runs").join(self.name())
    }
}

/// A model of either kind with its parameter stores (one per parameter group).
#[derive(Debug)]
pub enum Model {
    /// Implicit VAE: groups "autoencoder" and "energy".
    Implicit(ImplicitVae),
    /// Explicit VAE: one group, "model".
    Explicit(ExplicitVae),
}

impl Model {
    /// The model's prior and decoder.
    pub fn decoder(&self) -> &dyn Decoder {
        match self {
            Self::Implicit(m) => m,
            Self::Explicit(m) => m,
        }
    }

    /// One latent sample per row of a binarised batch.
    pub fn encode(&self, x: &Tensor) -> mvl_ae::Result<Tensor> {
        match self {
            Self::Implicit(m) => m.encode(x),
            Self::Explicit(m) => m.encode(x),
        }
    }

    /// The −ELBO of a binarised batch with one latent sample per row.
    pub fn neg_elbo(&self, x: &Tensor) -> mvl_ae::Result<Elbo> {
        match self {
            Self::Implicit(m) => m.neg_elbo(x),
            Self::Explicit(m) => m.neg_elbo(x),
        }
    }
}

/// A built model, its stores and the optimiser of each store (TF1 RMSProp at `lr`,
/// paper-spec §4.4).
#[derive(Debug)]
pub struct Built {
    /// The model.
    pub model: Model,
    /// Its parameters, one store per group.
    pub stores: Vec<nn::VarStore>,
    /// The groups, in phase order.
    pub groups: Vec<GroupConfig>,
}

/// Builds the paper's model for `spec` on `device` (f32), initialised from libtorch's
/// generator (seed it first).
pub fn build(spec: &RunSpec, lr: f64, device: Device) -> Result<Built> {
    spec.validate()?;
    let geometry = match spec.latent {
        Latent::Euc => Geometry::Euclidean,
        Latent::Sph => Geometry::Sphere,
    };
    Ok(match spec.encoder {
        Encoder::Implicit => {
            let (ae, energy) = (nn::VarStore::new(device), nn::VarStore::new(device));
            let config = ImplicitVaeConfig::paper(geometry, spec.nz)?;
            let model = ImplicitVae::new(&ae.root(), &energy.root(), config)?;
            Built {
                model: Model::Implicit(model),
                stores: vec![ae, energy],
                groups: groups(lr),
            }
        }
        Encoder::Explicit => {
            let store = nn::VarStore::new(device);
            let posterior = match geometry {
                Geometry::Euclidean => Posterior::Gaussian,
                Geometry::Sphere => Posterior::VonMisesFisher,
            };
            let model =
                ExplicitVae::new(&store.root(), ExplicitVaeConfig::paper(posterior, spec.nz)?)?;
            let group = GroupConfig {
                name: "model".into(),
                optimizer: OptimizerConfig::TfRmsProp { lr },
            };
            Built {
                model: Model::Explicit(model),
                stores: vec![store],
                groups: vec![group],
            }
        }
    })
}

/// The implicit VAE's energy objective for `spec` (paper-spec §4.3; SSM and DSM are ours).
pub fn score_objective(spec: &RunSpec, model: &ImplicitVae) -> Result<Box<dyn Objective>> {
    let eps = model.config().step_size;
    Ok(match spec.objective {
        Some(ScoreObjective::Ssm) => {
            Box::new(SlicedScoreMatching::new(1, Projection::Gaussian)?.variance_reduced(true))
        }
        Some(ScoreObjective::Dsm) => Box::new(DenoisingScoreMatching::new(eps.sqrt())?),
        Some(ScoreObjective::Mvl) | None => model.default_objective()?,
    })
}

/// The file of a group's final parameters in a run folder.
pub fn params_path(run_dir: &Path, group: &GroupConfig) -> PathBuf {
    run_dir.join(format!("params-{}.ot", group.name))
}

/// Loads the final parameters of a trained run into `built`.
pub fn load_params(built: &mut Built, run_dir: &Path) -> Result<()> {
    for (store, group) in built.stores.iter_mut().zip(&built.groups) {
        let path = params_path(run_dir, group);
        store.load(&path).with_context(|| {
            format!(
                "loading {} (train the run first with mnist-vae)",
                path.display()
            )
        })?;
    }
    Ok(())
}

/// The per-image results of an AIS evaluation so far, saved after every batch of images so
/// that a killed evaluation resumes (`runs/<run>/ais-m<M>-c<chains>-t<temps>.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AisProgress {
    /// One estimate per evaluated image, in test-set order.
    pub images: Vec<mvl_ae::ais::ImageEstimate>,
    /// Seconds spent so far (all invocations).
    pub seconds: f64,
}

impl AisProgress {
    /// The file of the evaluation of `evaluation`'s settings in `run_dir`.
    pub fn path(run_dir: &Path, test_images: usize, chains: usize, temps: usize) -> PathBuf {
        run_dir.join(format!("ais-m{test_images}-c{chains}-t{temps}.json"))
    }

    /// The saved progress at `path`, or none yet.
    pub fn load(path: &Path) -> Result<Self> {
        crate::output::read_json_or_default(path)
            .with_context(|| format!("{} (delete it to restart the evaluation)", path.display()))
    }
}

/// The AIS evaluation of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Test images evaluated (the first ones of the test set).
    pub test_images: usize,
    /// Chains per image.
    pub chains: usize,
    /// Inverse temperatures.
    pub temps: usize,
    /// Test NLL, nats: −mean over images of the log-mean-exp over chains.
    pub nll: f64,
    /// Standard error of `nll` over images.
    pub nll_se: Option<f64>,
    /// AIS's own standard error of `nll` (from the chains' weights).
    pub nll_ais_se: f64,
    /// Seconds of evaluation (all invocations).
    pub eval_seconds: f64,
}

/// One row of `<out>/mnist-vae/summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The run.
    #[serde(flatten)]
    pub spec: RunSpec,
    /// Training iterations.
    pub iters: usize,
    /// Training seconds (all invocations of a resumed run).
    pub train_seconds: f64,
    /// The final training −ELBO (mean of the last 1,000 iterations' batch losses).
    pub final_neg_elbo: f64,
    /// The AIS evaluation, once `mnist-vae-eval` has run.
    #[serde(flatten)]
    pub evaluation: Option<Evaluation>,
}

impl Keyed for Row {
    type Key = RunSpec;
    fn key(&self) -> RunSpec {
        self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_with_and_without_an_evaluation() {
        let spec = RunSpec {
            latent: Latent::Sph,
            nz: 8,
            encoder: Encoder::Implicit,
            objective: Some(ScoreObjective::Mvl),
            seed: 1,
        };
        let evaluation = Evaluation {
            test_images: 4,
            chains: 4,
            temps: 30,
            nll: 200.0,
            nll_se: Some(3.0),
            nll_ais_se: 0.1,
            eval_seconds: 2.0,
        };
        for evaluation in [None, Some(evaluation)] {
            let row = Row {
                spec,
                iters: 40,
                train_seconds: 1.0,
                final_neg_elbo: 300.0,
                evaluation,
            };
            let text = serde_json::to_string(&row).expect("serialises");
            let back: Row = serde_json::from_str(&text).expect("parses");
            assert_eq!(back, row, "{text}");
        }
    }
}
