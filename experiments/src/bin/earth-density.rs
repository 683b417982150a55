//! Issue 6: density estimation on S^2 from real earth-science data (volcanic eruptions,
//! earthquakes, floods, wildfires) with energy networks trained by Riemannian MVL, the
//! birth-death (Wasserstein-Fisher-Rao) MVL objective and exact Riemannian score matching,
//! against a vMF mixture (EM) and a vMF kernel density estimate. Random 80/10/10 split per
//! seed; hyperparameters and early stopping on validation; test NLL (nats w.r.t. area on the
//! unit sphere) computed once at the end, with exact (quadrature or closed-form) normalisers.
//!
//! Writes `<out>/earth-density/summary.json` (one row per dataset, method and seed; rows of
//! earlier invocations are kept and replaced when rerun), `table.csv` (mean ± std over
//! seeds), per-run details under `runs/`, and maps of the learned densities (first seed).

use anyhow::Result;
use clap::Parser;
use mvl_experiments::cli::CommonArgs;
use mvl_experiments::earth::baselines::MixtureSearch;
use mvl_experiments::earth::data::to_lat_lon;
use mvl_experiments::earth::fit::FitConfig;
use mvl_experiments::earth::methods::{
    FrEstimator, Method, NetMethodConfig, Outcome, run_baseline, run_network,
};
use mvl_experiments::earth::net::NetConfig;
use mvl_experiments::earth::report::{Row, Summary, plot_map};
use mvl_experiments::earth::settings::tuned;
use mvl_experiments::earth::split::Split;
use mvl_experiments::earth::{Dataset, data_dir};
use mvl_experiments::output::{results_dir, write_json};
use mvl_experiments::seed;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Density estimation on the sphere from earth-science data: MVL energy networks against
/// published flows, score-based models and classical baselines.
#[derive(Parser, Serialize, Clone, Debug)]
#[command(version)]
struct Args {
    /// Folder with volerup.csv, quakes_all.csv, flood.csv and fire.csv [default:
    /// $MVL_EARTH_DATA if set, else ../shared/data/earth when it exists].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Datasets, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "volcano,earthquake,flood,fire"
    )]
    dataset: Vec<Dataset>,
    /// Seeds, comma-separated (each seed: its own random 80/10/10 split and initialisation).
    #[arg(
        long,
        visible_alias = "seed",
        value_delimiter = ',',
        default_value = "0"
    )]
    seeds: Vec<u64>,
    /// Methods, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "mvl,birth-death,exact-sm,vmf-mixture,vmf-kde"
    )]
    method: Vec<Method>,
    /// Smoothing σ (radians) of the training points for the networks [default: per dataset
    /// and method, chosen on validation: `earth::settings::tuned`, docs/earth-density.md].
    #[arg(long)]
    smooth: Option<f64>,
    /// Number of random Fourier frequencies (0: plain MLP on y) [default: per dataset and
    /// method; 64 with --quick].
    #[arg(long)]
    fourier_features: Option<i64>,
    /// Standard deviation of the Fourier frequencies (radians⁻¹) [default: per dataset and
    /// method].
    #[arg(long)]
    fourier_scale: Option<f64>,
    /// Hidden-layer widths of the energy network, comma-separated [default: per dataset and
    /// method; 64,64 with --quick].
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<i64>>,
    /// Maximum training steps [default: per dataset and method; 1500 with --quick].
    #[arg(long)]
    steps: Option<usize>,
    /// Batch size.
    #[arg(long, default_value_t = 512)]
    batch: i64,
    /// RMSProp learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Sampler step size ε₀ of the MVL objectives.
    #[arg(long, default_value_t = 1e-3)]
    eps: f64,
    /// Steps between validation evaluations [default: 200; 100 with --quick].
    #[arg(long)]
    eval_every: Option<usize>,
    /// Validation evaluations without improvement before stopping [default: 10; 8 with
    /// --quick].
    #[arg(long)]
    patience: Option<usize>,
    /// Colatitude nodes of the validation quadrature grid (longitudes: twice as many; at
    /// most 100 with --quick).
    #[arg(long, default_value_t = 200)]
    val_n_theta: usize,
    /// Fisher-Rao weight c of the birth-death objective (1/rad²) [default: per dataset].
    #[arg(long)]
    fr_weight: Option<f64>,
    /// Smoothing σ (radians) assumed by the birth-death rates' density estimate (the
    /// validation-chosen vMF KDE widened by σ) [default: per dataset and method; the batches'
    /// --smooth unless set].
    #[arg(long)]
    fr_smooth: Option<f64>,
    /// Estimator of the birth-death objective's Fisher-Rao part.
    #[arg(long, value_enum, default_value = "expected")]
    fr_estimator: FrEstimator,
    /// EM iterations of the vMF mixture [default: 200; 50 with --quick].
    #[arg(long)]
    em_iters: Option<i64>,
    /// Decay of the exponential moving average of the network parameters that is validated
    /// and kept (0: the raw parameters) [default: 0.999; 0.99 with --quick].
    #[arg(long)]
    ema: Option<f64>,
    /// Steps between checkpoints.
    #[arg(long, default_value_t = 500)]
    checkpoint_every: usize,
    /// Shared flags. `--quick`: a small network, 1,500 steps, K ≤ 50, 50 EM iterations: a
    /// smoke test of well under a minute per network run.
    #[command(flatten)]
    common: CommonArgs,
    /// Skip the maps.
    #[arg(long)]
    no_plots: bool,
}

fn net_config(args: &Args, id: RunId) -> NetMethodConfig {
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

fn mixture_search(args: &Args) -> MixtureSearch {
    let mut search = MixtureSearch::default();
    if args.common.quick {
        search.components.retain(|&k| k <= 50);
        search.iters = 50;
    }
    search.iters = args.em_iters.unwrap_or(search.iters);
    search
}

fn main() -> Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.checkpoint_every > 0 && args.eval_every != Some(0) && args.val_n_theta > 0,
        "--eval-every, --checkpoint-every and --val-n-theta must be > 0"
    );
    for (flag, sigma) in [("--smooth", args.smooth), ("--fr-smooth", args.fr_smooth)] {
        anyhow::ensure!(
            sigma.is_none_or(|s| s.is_finite() && s >= 0.0),
            "{flag} must be a finite σ ≥ 0 (radians), got {sigma:?}"
        );
    }
    let data = data_dir(args.data_dir.as_deref())?;
    let dir = args.common.results_dir("earth-density")?;
    let summary_path = dir.join("summary.json");
    // Fails early on an unreadable summary rather than after the training.
    Summary::load(&summary_path)?;
    let map_points = mvl_experiments::earth::report::map_points();
    for &dataset in &args.dataset {
        let points = dataset.load(&data)?;
        for &s in &args.seeds {
            let split = Split::random(&points, s);
            for &method in &args.method {
                let id = RunId {
                    dataset,
                    method,
                    seed: s,
                };
                match run_and_record(&args, id, &split, &dir, &map_points) {
                    Ok(row) => {
                        // Reloaded before every write, so that invocations running side by
                        // side on one output folder keep each other's rows.
                        let mut summary = Summary::load(&summary_path)?;
                        summary.upsert(row);
                        summary.write(&dir)?;
                    }
                    Err(e) => eprintln!("{}: failed: {e:#}", id.name()),
                }
            }
        }
    }
    Ok(())
}

/// One (dataset, method, seed) cell.
#[derive(Clone, Copy)]
struct RunId {
    dataset: Dataset,
    method: Method,
    seed: u64,
}

impl RunId {
    fn name(self) -> String {
        format!(
            "{}-{}-s{}",
            self.dataset.name(),
            self.method.name(),
            self.seed
        )
    }
}

/// Runs one cell, writes its details and map, prints and returns its summary row.
fn run_and_record(
    args: &Args,
    id: RunId,
    split: &Split,
    dir: &Path,
    map: &tch::Tensor,
) -> Result<Row> {
    let started = Instant::now();
    let outcome = run(args, id, split, dir, map)?;
    // A resumed run counts the training time of the invocations before it.
    let seconds = started.elapsed().as_secs_f64() + outcome.earlier_seconds;
    write_json(
        &results_dir(dir, "runs")?.join(format!("{}.json", id.name())),
        &outcome,
    )?;
    if !args.no_plots && Some(&id.seed) == args.seeds.first() {
        let png = dir.join(format!("{}-{}.png", id.dataset.name(), id.method.name()));
        if let Err(e) = plot_map(&png, &id.name(), &outcome.map, &to_lat_lon(&split.train)) {
            eprintln!("warning: map skipped: {e:#}");
        }
    }
    let row = Row::new(
        id.dataset,
        id.method,
        id.seed,
        &outcome,
        seconds,
        split.train.size()[0],
    );
    println!(
        "{:10} {:12} seed {}: test NLL {:8.4}  val NLL {:8.4}  steps {:6}  {:7.1} s",
        id.dataset.name(),
        id.method.name(),
        id.seed,
        row.test_nll,
        row.val_nll,
        row.steps,
        seconds
    );
    Ok(row)
}

fn run(args: &Args, id: RunId, split: &Split, dir: &Path, map: &tch::Tensor) -> Result<Outcome> {
    seed(id.seed);
    match id.method {
        Method::VmfKde | Method::VmfMixture => {
            run_baseline(id.method, split, id.seed, &mixture_search(args), map)
        }
        _ => {
            let mut config = net_config(args, id);
            config.fit.label = id.name();
            let run_dir = dir.join("checkpoints").join(id.name());
            run_network(id.method, split, &config, run_dir, map)
        }
    }
}
