//! The command line of `earth-density` (issue 6): its flags, their per-dataset defaults
//! (`settings::tuned`) and the checks made before any work starts.

use super::Dataset;
use super::baselines::MixtureSearch;
use super::fit::FitConfig;
use super::methods::{FrEstimator, Method, NetMethodConfig};
use super::net::NetConfig;
use super::settings::tuned;
use crate::cli::CommonArgs;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Density estimation on the sphere from earth-science data: MVL energy networks against
/// published flows, score-based models and classical baselines.
#[derive(clap::Parser, Serialize, Deserialize, Clone, Debug)]
#[command(name = "earth-density", version)]
pub struct Args {
    /// Folder with volerup.csv, quakes_all.csv, flood.csv and fire.csv [default:
    /// $MVL_EARTH_DATA if set, else ../shared/data/earth when it exists].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Datasets, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "volcano,earthquake,flood,fire"
    )]
    pub dataset: Vec<Dataset>,
    /// Seeds, comma-separated (each seed: its own random 80/10/10 split and initialisation).
    #[arg(
        long,
        visible_alias = "seed",
        value_delimiter = ',',
        default_value = "0"
    )]
    pub seeds: Vec<u64>,
    /// Methods, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "mvl,birth-death,exact-sm,vmf-mixture,vmf-kde"
    )]
    pub method: Vec<Method>,
    /// Smoothing σ (radians) of the training points for the networks [default: per dataset
    /// and method, chosen on validation: `earth::settings::tuned`, docs/earth-density.md].
    #[arg(long)]
    pub smooth: Option<f64>,
    /// Number of random Fourier frequencies (0: plain MLP on y) [default: per dataset and
    /// method; 64 with --quick].
    #[arg(long)]
    pub fourier_features: Option<i64>,
    /// Standard deviation of the Fourier frequencies (radians⁻¹) [default: per dataset and
    /// method].
    #[arg(long)]
    pub fourier_scale: Option<f64>,
    /// Hidden-layer widths of the energy network, comma-separated [default: per dataset and
    /// method; 64,64 with --quick].
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<i64>>,
    /// Maximum training steps [default: per dataset and method; 1500 with --quick].
    #[arg(long)]
    pub steps: Option<usize>,
    /// Batch size.
    #[arg(long, default_value_t = 512)]
    pub batch: i64,
    /// RMSProp learning rate.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1e-3)]
    pub lr: f64,
    /// Sampler step size ε₀ of the MVL objectives.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1e-3)]
    pub eps: f64,
    /// Steps between validation evaluations [default: 200; 100 with --quick].
    #[arg(long)]
    pub eval_every: Option<usize>,
    /// Validation evaluations without improvement before stopping [default: 10; 8 with
    /// --quick].
    #[arg(long)]
    pub patience: Option<usize>,
    /// Colatitude nodes of the validation quadrature grid (longitudes: twice as many; at
    /// most 100 with --quick).
    #[arg(long, default_value_t = 200)]
    pub val_n_theta: usize,
    /// Fisher-Rao weight c of the birth-death objective (1/rad²) [default: per dataset].
    #[arg(long)]
    pub fr_weight: Option<f64>,
    /// Smoothing σ (radians) assumed by the birth-death rates' density estimate (the
    /// validation-chosen vMF KDE widened by σ) [default: per dataset and method; the batches'
    /// --smooth unless set].
    #[arg(long)]
    pub fr_smooth: Option<f64>,
    /// Estimator of the birth-death objective's Fisher-Rao part.
    #[arg(long, value_enum, default_value = "expected")]
    pub fr_estimator: FrEstimator,
    /// EM iterations of the vMF mixture [default: 200; 50 with --quick].
    #[arg(long)]
    pub em_iters: Option<i64>,
    /// Decay of the exponential moving average of the network parameters that is validated
    /// and kept (0: the raw parameters) [default: 0.999; 0.99 with --quick].
    #[arg(long, allow_negative_numbers = true)]
    pub ema: Option<f64>,
    /// Steps between checkpoints.
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: usize,
    /// Shared flags. `--quick`: a small network, 1,500 steps, K ≤ 50, 50 EM iterations: a
    /// smoke test of well under a minute per network run.
    #[command(flatten)]
    #[serde(flatten)]
    pub common: CommonArgs,
    /// Skip the maps.
    #[arg(long)]
    pub no_plots: bool,
}

impl Args {
    /// The network, fit and objective settings of one cell.
    pub fn net_config(&self, id: RunId) -> NetMethodConfig {
        let args = self;
        let q = args.common.quick;
        let tuned = tuned(id.dataset, id.method);
        let net = NetConfig {
            features: args
                .fourier_features
                .unwrap_or(if q { 64 } else { tuned.features }),
            scale: args.fourier_scale.unwrap_or(tuned.scale),
            hidden: args
                .hidden
                .clone()
                .unwrap_or(if q { vec![64, 64] } else { tuned.hidden }),
        };
        let fit = FitConfig {
            label: String::new(),
            steps: args.steps.unwrap_or(if q { 1500 } else { tuned.steps }),
            batch: args.batch,
            lr: args.lr,
            smooth: args.smooth.unwrap_or(tuned.smooth),
            eval_every: args.eval_every.unwrap_or(if q { 100 } else { 200 }),
            patience: args.patience.unwrap_or(if q { 8 } else { 10 }),
            val_n_theta: if q {
                args.val_n_theta.min(100)
            } else {
                args.val_n_theta
            },
            seed: id.seed,
            checkpoint_every: args.checkpoint_every,
            ema: args.ema.unwrap_or(if q { 0.99 } else { 0.999 }),
            extra: serde_json::json!({ "dataset": id.dataset.name() }),
        };
        let device = args.common.init();
        NetMethodConfig {
            net,
            fit,
            eps: args.eps,
            fr_weight: args.fr_weight.unwrap_or(tuned.fr_weight),
            fr_estimator: args.fr_estimator,
            fr_smooth: args.fr_smooth.or(tuned.fr_smooth),
            log_z_tol: 1e-4,
            device,
        }
    }

    /// The vMF-mixture model search.
    pub fn mixture_search(&self) -> MixtureSearch {
        let args = self;
        let mut search = MixtureSearch::default();
        if args.common.quick {
            search.components.retain(|&k| k <= 50);
            search.iters = 50;
        }
        search.iters = args.em_iters.unwrap_or(search.iters);
        search
    }

    /// Checks the flags that clap cannot check alone, before any work starts.
    pub fn validate(&self) -> Result<()> {
        anyhow::ensure!(
            self.checkpoint_every > 0 && self.eval_every != Some(0) && self.val_n_theta > 0,
            "--eval-every, --checkpoint-every and --val-n-theta must be > 0"
        );
        for (flag, sigma) in [("--smooth", self.smooth), ("--fr-smooth", self.fr_smooth)] {
            anyhow::ensure!(
                sigma.is_none_or(|s| s.is_finite() && s >= 0.0),
                "{flag} must be a finite σ ≥ 0 (radians), got {sigma:?}"
            );
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        anyhow::ensure!(
            positive(self.lr),
            "--lr must be a finite number > 0, got {}",
            self.lr
        );
        anyhow::ensure!(
            positive(self.eps) && self.eps <= 1.0,
            "--eps must be in (0, 1] (the sampler's step, in squared radians on the unit sphere), got {}",
            self.eps
        );
        anyhow::ensure!(
            self.ema.is_none_or(|e| (0.0..1.0).contains(&e)),
            "--ema must be in [0, 1), got {:?}",
            self.ema
        );
        anyhow::ensure!(
            self.hidden
                .as_ref()
                .is_none_or(|h| !h.is_empty() && h.iter().all(|&w| w >= 1)),
            "--hidden must list widths ≥ 1, got {:?}",
            self.hidden
        );
        anyhow::ensure!(self.steps != Some(0), "--steps must be ≥ 1");
        anyhow::ensure!(self.batch >= 1, "--batch must be ≥ 1, got {}", self.batch);
        anyhow::ensure!(self.patience != Some(0), "--patience must be ≥ 1");
        anyhow::ensure!(
            self.em_iters.is_none_or(|n| n >= 1),
            "--em-iters must be ≥ 1, got {:?}",
            self.em_iters
        );
        anyhow::ensure!(
            self.fourier_features.is_none_or(|n| n >= 0),
            "--fourier-features must be ≥ 0, got {:?}",
            self.fourier_features
        );
        anyhow::ensure!(
            self.fourier_scale.is_none_or(positive),
            "--fourier-scale must be a finite number > 0, got {:?}",
            self.fourier_scale
        );
        anyhow::ensure!(
            self.fr_weight.is_none_or(|c| c.is_finite() && c >= 0.0),
            "--fr-weight must be a finite number ≥ 0, got {:?}",
            self.fr_weight
        );
        Ok(())
    }
}

/// One (dataset, method, seed) cell.
#[derive(Debug, Clone, Copy)]
pub struct RunId {
    /// The data set.
    pub dataset: Dataset,
    /// The method.
    pub method: Method,
    /// The seed (split and initialisation).
    pub seed: u64,
}

impl RunId {
    /// `<dataset>-<method>-s<seed>`: file names and labels.
    pub fn name(self) -> String {
        format!(
            "{}-{}-s{}",
            self.dataset.name(),
            self.method.name(),
            self.seed
        )
    }
}
