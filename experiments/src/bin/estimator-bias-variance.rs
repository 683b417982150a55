//! Figure 1 of the paper: squared bias and variance of approximate score-matching estimators
//! against the step size ε (σ² for DSM), on 2-D banana data with an energy trained on it.
//!
//! Protocol (paper §6.1.1; details the paper leaves open are ours, paper-spec §3.1): energy
//! E(x) = ⟨x, ψ(x)⟩ with ψ 2→100→100→2 tanh, trained by exact score matching (Adam 1e-3,
//! batches of 1,000 fresh samples); then, on fresh data, per-sample estimates of J_SM by
//! MVL (Langevin towards q^{1/2}, no rescaling) with and without the control variate, DSM
//! with and without it, sliced score matching (variance-reduced, Gaussian projections: the
//! unbiased reference) and exact SM, all on the same data points (paired). Squared-bias
//! bound (|mean(est − SSM)| + 2 SE)²; two-sided z-test of mean(est) = mean(SSM) at ε = 6e-5.
//! f64 throughout.

use anyhow::{Context, Result, bail};
use clap::Parser;
use mvl_experiments::cli::CommonArgs;
use mvl_experiments::estimators::Estimator;
use mvl_experiments::figure1::{Summary, Sweep, eps_grid, plots, report, sweep_chunk};
use mvl_experiments::fixtures::banana;
use mvl_experiments::nets;
use mvl_experiments::output::progress;
use mvl_manifold::Energy;
use mvl_train::seed::{Stream, reseed};
use mvl_train::{OptimizerConfig, TrainConfig, train};
use serde::Serialize;
use std::collections::BTreeMap;
use tch::{Device, Kind, nn};

/// Squared bias and variance of MVL and DSM (with and without control variates) against ε.
#[derive(Parser, Serialize, Clone)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Evaluation samples per ε (default 5·10⁶, as the paper; 2·10⁵ with --quick; ≥ 2).
    #[arg(long, value_parser = clap::value_parser!(i64).range(2..))]
    samples: Option<i64>,
    /// Rows per evaluation chunk (memory vs. overhead).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(1..))]
    chunk: i64,
    /// Exact-SM training steps of the energy (default 3000; 600 with --quick; ≥ 1).
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    train_steps: Option<usize>,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Only redraw the plots from an existing `<out>/estimator-bias-variance/summary.json`.
    #[arg(long)]
    plot_only: bool,
}

fn train_energy(
    args: &Args,
    vs: &mut nn::VarStore,
    energy: &dyn Energy,
    dev: Device,
) -> Result<f64> {
    let steps = args
        .train_steps
        .unwrap_or(if args.common.quick { 600 } else { 3000 });
    let sm = Estimator::ExactSm.build(0.0, 2)?;
    let config = TrainConfig {
        label: "train energy".into(),
        iterations: steps,
        optimizer: OptimizerConfig::adam(1e-3),
        seed: Some(args.seed),
        checkpoint_every: steps.max(1),
        extra: serde_json::json!({}),
    };
    let mut step = |_| sm.loss(energy, &banana(1000, (Kind::Double, dev)));
    let mut bar = progress(steps as u64, "train energy");
    let log = train(&config, vs, &mut step, &mut [&mut bar], None)?;
    Ok(log.losses.last().copied().unwrap_or(f64::NAN))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dev = args.common.init();
    let samples = args.samples.unwrap_or(if args.common.quick {
        200_000
    } else {
        5_000_000
    });
    if samples < 2 || args.chunk < 2 {
        bail!("--samples and --chunk must be at least 2");
    }
    let dir = args.common.results_dir("estimator-bias-variance")?;
    if args.plot_only {
        let text = std::fs::read_to_string(dir.join("summary.json"))
            .context("reading the summary to replot")?;
        let summary: Summary = serde_json::from_str(&text)?;
        return plots(&dir, &summary.rows);
    }
    mvl_experiments::seed(args.seed);
    let mut vs = nn::VarStore::new(dev);
    vs.set_kind(Kind::Double);
    let energy = nets::inner_product_energy(&vs.root(), 2, &[100, 100]);
    vs.double();
    let start = std::time::Instant::now();
    let final_sm = train_energy(&args, &mut vs, &energy, dev)?;
    vs.freeze();
    let grid = eps_grid();
    let mut sweep = Sweep::default();
    let chunks = (samples + args.chunk - 1) / args.chunk;
    let mut bar = progress(chunks as u64, "sweep eps");
    for c in 0..chunks {
        reseed(args.seed ^ 0x5eed, Stream::Iteration(c as usize));
        let n = args.chunk.min(samples - c * args.chunk);
        sweep_chunk(&mut sweep, &energy, &banana(n, (Kind::Double, dev)), &grid)
            .context("evaluating estimators")?;
        bar.inc(1);
    }
    bar.finish();
    let head = Summary {
        protocol: "ours (paper-spec §3.1): E = <x, psi(x)>, psi 2-100-100-2 tanh trained by exact SM; paired per-sample estimates; bound = (|mean(est - SSM)| + 2 SE)^2".into(),
        samples_per_eps: 0.0,
        final_train_exact_sm: final_sm,
        seconds: start.elapsed().as_secs_f64(),
        args: serde_json::to_value(&args)?,
        rows: vec![],
        z_test: BTreeMap::new(),
    };
    report(&dir, &sweep, &grid, head)
}
