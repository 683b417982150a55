//! Trains one model of the paper's Table 1 on MNIST (paper-spec §4): an implicit VAE whose
//! entropy gradient comes from a conditional energy trained by MVL (ours), or an explicit
//! Gaussian / von Mises-Fisher VAE (baselines), with Euclidean or hyperspherical latents.
//! Defaults are the authors' protocol: 100,000 iterations of batch 128, TF1 RMSProp 1e-3,
//! dynamic binarisation. Checkpoints every --checkpoint-every iterations; rerunning the same
//! command after a kill resumes exactly. Writes the final parameters, the loss and monitoring
//! curves under `<out>/mnist-vae/runs/<run>/` and the run's row of
//! `<out>/mnist-vae/summary.json`; `mnist-vae-eval` then adds its AIS test NLL.

use anyhow::{Context, Result};
use clap::Parser;
use mvl_ae::data::{Batches, Mnist, default_dir};
use mvl_ae::explicit_vae::ExplicitVaeStep;
use mvl_ae::implicit_vae::ImplicitVaeStep;
use mvl_experiments::cli::{CommonArgs, positive_finite};
use mvl_experiments::mnist::{Model, MonitorPoint, Row, SpecArgs};
use mvl_experiments::mnist::{build, params_path, score_objective};
use mvl_experiments::monitor::Monitor;
use mvl_experiments::output::{progress, write_json, write_loss_curve};
use mvl_experiments::rows::Rows;
use mvl_train::{GroupsConfig, PhaseStep, train_groups};
use std::path::PathBuf;

/// Trains an implicit or explicit VAE on MNIST (paper Table 1).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Output, device, threads; --quick: 2,000 iterations (a smoke run, not the protocol).
    #[command(flatten)]
    common: CommonArgs,
    /// The run.
    #[command(flatten)]
    run: SpecArgs,
    /// Training iterations [default: 100,000; 2,000 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    iters: Option<u64>,
    /// Batch size.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=60000))]
    batch: u64,
    /// Learning rate of every optimiser (TF1 RMSProp; finite, > 0).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1e-3, value_parser = positive_finite)]
    lr: f64,
    /// Iterations between checkpoints.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: u64,
    /// Iterations between monitoring passes on the first 1,000 test images.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    monitor_every: u64,
    /// Folder of the MNIST IDX files [default: $MVL_MNIST, else the cache that
    /// `scripts/setup --mnist` fills].
    #[arg(long)]
    data: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let spec = args.run.spec()?;
    let iters = args
        .iters
        .map_or(if args.common.quick { 2000 } else { 100_000 }, |n| {
            n as usize
        });
    let device = args.common.init();
    let data = Mnist::load(&args.data.clone().unwrap_or_else(default_dir))?;
    let dir = args.common.results_dir("mnist-vae")?;
    let run_dir = spec.dir(&dir);
    std::fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
    mvl_experiments::seed(spec.seed);
    let mut built = build(&spec, args.lr, device)?;
    let train = data.train_images.to_device(device);
    let batches = Batches::new(train.size()[0] as usize, args.batch as usize, spec.seed)?;
    let batch = |i: usize| batches.batch(&train, i);
    let config = GroupsConfig {
        label: spec.name(),
        iterations: iters,
        groups: built.groups.clone(),
        seed: Some(spec.seed),
        checkpoint_every: args.checkpoint_every as usize,
        extra: serde_json::json!({ "spec": spec, "batch": args.batch, "lr": args.lr, "kind": "f32" }),
    };
    let monitor_images = data.test_subset(1000).to_device(device);
    let bar = progress(iters as u64, &spec.name());
    let model = &built.model;
    let mut monitor = Monitor::new(
        Box::new(|i| MonitorPoint::evaluate(model, &monitor_images, i)),
        MonitorPoint::describe,
        args.monitor_every as usize,
        bar,
    );
    let score;
    let mut step: Box<dyn PhaseStep + '_> = match &built.model {
        Model::Implicit(m) => {
            score = score_objective(&spec, m)?;
            Box::new(ImplicitVaeStep::new(m, score.as_ref(), &batch))
        }
        Model::Explicit(m) => Box::new(ExplicitVaeStep::new(m, &batch)),
    };
    let mut stores: Vec<&mut tch::nn::VarStore> = built.stores.iter_mut().collect();
    let checkpoint = args.common.checkpoint(run_dir.join("checkpoint"))?;
    let log = train_groups(
        &config,
        &mut stores,
        step.as_mut(),
        &mut [&mut monitor],
        Some(&checkpoint),
    )?;
    drop(step);
    for (store, group) in built.stores.iter().zip(&built.groups) {
        store.save(params_path(&run_dir, group))?;
    }
    write_json(&run_dir.join("monitor.json"), &monitor.curve)?;
    let final_neg_elbo = write_loss_curve(
        &run_dir.join("train-neg-elbo.csv"),
        "neg_elbo",
        &log.phase_losses[0],
    )?;
    Rows::update(&dir.join("summary.json"), |rows: &mut Rows<Row>| {
        // Rerunning a finished run keeps its evaluation (same model); a new one clears it.
        let kept = rows
            .get(&spec)
            .filter(|r| r.iters == iters)
            .and_then(|r| r.evaluation);
        rows.upsert(Row {
            spec,
            iters,
            train_seconds: log.seconds,
            final_neg_elbo,
            evaluation: kept,
        });
    })?;
    let last = monitor.curve.last();
    println!(
        "{}: {iters} iterations in {:.0} s; train -ELBO {final_neg_elbo:.2}; test -ELBO {}",
        spec.name(),
        log.seconds,
        last.map_or("n/a".into(), |p| format!("{:.2}", p.neg_elbo))
    );
    Ok(())
}
