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

use anyhow::{Context, Result, bail};
use clap::Parser;
use mvl_experiments::earth::cli::{Args, RunId};
use mvl_experiments::earth::data::to_lat_lon;
use mvl_experiments::earth::methods::{Method, Outcome, run_baseline, run_network};
use mvl_experiments::earth::report::{Row, Summary, map_points, plot_map};
use mvl_experiments::earth::split::Split;
use mvl_experiments::earth::{UNIFORM_NLL, data_dir};
use mvl_experiments::output::{results_dir, write_json};
use mvl_experiments::seed;
use std::path::Path;
use std::time::Instant;

fn main() -> Result<()> {
    let args = Args::parse();
    args.validate()?;
    let data = data_dir(args.data_dir.as_deref())?;
    let dir = args.common.results_dir("earth-density")?;
    let summary_path = dir.join("summary.json");
    // Fails early on an unreadable summary rather than after the training.
    Summary::load(&summary_path)?;
    let map_points = map_points();
    // Every data file is read and split before any training, so a bad one fails at once.
    let mut splits = Vec::new();
    for &dataset in &args.dataset {
        let points = dataset.load(&data)?;
        for &s in &args.seeds {
            let split = Split::random(&points, s)
                .with_context(|| format!("{}", data.join(dataset.file_name()).display()))?;
            splits.push((dataset, s, split));
        }
    }
    let mut failed = Vec::new();
    for (dataset, seed, split) in &splits {
        for &method in &args.method {
            let id = RunId {
                dataset: *dataset,
                method,
                seed: *seed,
            };
            match run_and_record(&args, id, split, &dir, &map_points) {
                Ok(row) => {
                    // Reloaded before every write, so that invocations running side by side
                    // on one output folder keep each other's rows.
                    let mut summary = Summary::load(&summary_path)?;
                    summary.upsert(row);
                    summary.write(&dir)?;
                }
                Err(e) => {
                    eprintln!("{}: failed: {e:#}", id.name());
                    failed.push(id.name());
                }
            }
        }
    }
    if !failed.is_empty() {
        bail!("{} run(s) failed: {}", failed.len(), failed.join(", "));
    }
    Ok(())
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
    anyhow::ensure!(
        outcome.test_nll.is_finite() && outcome.val_nll.is_finite(),
        "{}: the fitted density gives a non-finite NLL (validation {}, test {})",
        id.name(),
        outcome.val_nll,
        outcome.test_nll
    );
    if outcome.test_nll > UNIFORM_NLL {
        eprintln!(
            "warning: {}: test NLL {:.4} is worse than the uniform density's {UNIFORM_NLL:.4}: \
             the fit failed (a smaller --lr or more --steps may help)",
            id.name(),
            outcome.test_nll
        );
    }
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
            run_baseline(id.method, split, id.seed, &args.mixture_search(), map)
        }
        _ => {
            let mut config = args.net_config(id);
            config.fit.label = id.name();
            let run_dir = args
                .common
                .checkpoint(dir.join("checkpoints").join(id.name()))?;
            run_network(id.method, split, &config, run_dir, map)
        }
    }
}
