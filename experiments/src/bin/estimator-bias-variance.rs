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
use mvl_experiments::output::{progress, results_dir, write_csv, write_json};
use mvl_experiments::plot::{Axes, Series, line_plot};
use mvl_experiments::stats::{Moments, two_sided_p};
use mvl_experiments::{device, nets};
use mvl_manifold::Energy;
use mvl_objectives::{
    DenoisingScoreMatching, MinimumVelocity, Objective, Projection, ScoreMatching,
    SlicedScoreMatching,
};
use mvl_train::{OptimizerConfig, Stream, TrainConfig, reseed, train};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tch::nn;
use tch::{Device, Kind, Tensor};

/// Squared bias and variance of MVL and DSM (with and without control variates) against ε.
#[derive(Parser, Serialize, Clone)]
#[command(version, about)]
struct Args {
    /// Quick mode: 2·10⁵ evaluation samples and 600 training steps (about a minute).
    #[arg(long)]
    quick: bool,
    /// Evaluation samples per ε (default 5·10⁶, as the paper; 2·10⁵ with --quick).
    #[arg(long)]
    samples: Option<i64>,
    /// Rows per evaluation chunk (memory vs. overhead).
    #[arg(long, default_value_t = 10_000)]
    chunk: i64,
    /// Exact-SM training steps of the energy (default 3000; 600 with --quick).
    #[arg(long)]
    train_steps: Option<usize>,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output root; results go to `<out>/estimator-bias-variance/`.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Run on the CPU even if CUDA is available.
    #[arg(long)]
    cpu: bool,
    /// Only redraw the plots from an existing `<out>/estimator-bias-variance/summary.json`.
    #[arg(long)]
    plot_only: bool,
}

/// The ε grid: 11 log-spaced values 10⁻⁶…10⁻¹ and 6·10⁻⁵.
fn eps_grid() -> Vec<f64> {
    let mut grid: Vec<f64> = (0..11).map(|i| 10f64.powf(-6.0 + 0.5 * i as f64)).collect();
    grid.push(6e-5);
    grid.sort_by(f64::total_cmp);
    grid
}

const ESTIMATORS: [&str; 4] = ["MVL-CV", "MVL", "DSM-CV", "DSM"];

fn estimator(name: &str, eps: f64) -> Result<Box<dyn Objective>> {
    Ok(match name {
        "MVL-CV" => Box::new(MinimumVelocity::langevin(eps)?),
        "MVL" => Box::new(MinimumVelocity::langevin(eps)?.control_variate(false)),
        "DSM-CV" => Box::new(DenoisingScoreMatching::new(eps.sqrt())?.control_variate(true)),
        "DSM" => Box::new(DenoisingScoreMatching::new(eps.sqrt())?),
        other => bail!("unknown estimator {other}"),
    })
}

/// 2-D banana: x₁ ~ N(0, 1), x₂ | x₁ ~ N(x₁² − 1, 1) (paper-spec §3.1).
fn banana(n: i64, dev: Device) -> Tensor {
    let x1 = Tensor::randn([n], (Kind::Double, dev));
    let x2 = x1.square() - 1.0 + Tensor::randn([n], (Kind::Double, dev));
    Tensor::stack(&[x1, x2], 1)
}

fn train_energy(
    args: &Args,
    vs: &mut nn::VarStore,
    energy: &dyn Energy,
    dev: Device,
) -> Result<f64> {
    let steps = args
        .train_steps
        .unwrap_or(if args.quick { 600 } else { 3000 });
    let sm = ScoreMatching::euclidean(2)?;
    let config = TrainConfig {
        label: "train energy".into(),
        iterations: steps,
        optimizer: OptimizerConfig::adam(1e-3),
        seed: Some(args.seed),
        checkpoint_every: steps.max(1),
        extra: serde_json::json!({}),
    };
    let mut step = |_| sm.loss(energy, &banana(1000, dev));
    let mut bar = progress(steps as u64, "train energy");
    let log = train(&config, vs, &mut step, &mut [&mut bar], None)?;
    Ok(log.losses.last().copied().unwrap_or(f64::NAN))
}

/// Accumulated statistics: per estimator and ε, the values and the differences with SSM.
#[derive(Default, Serialize, Deserialize)]
struct Sweep {
    values: BTreeMap<String, Moments>,
    vs_ssm: BTreeMap<String, Moments>,
    vs_exact: BTreeMap<String, Moments>,
}

fn key(name: &str, eps: f64) -> String {
    format!("{name}@{eps:e}")
}

fn sweep_chunk(sweep: &mut Sweep, energy: &dyn Energy, x: &Tensor, grid: &[f64]) -> Result<()> {
    let exact = ScoreMatching::euclidean(2)?.per_sample(energy, x)?.detach();
    let ssm = SlicedScoreMatching::new(1, Projection::Gaussian)?.variance_reduced(true);
    let ssm = ssm.per_sample(energy, x)?.detach();
    sweep.values.entry("SSM".into()).or_default().add(&ssm);
    sweep
        .values
        .entry("exact SM".into())
        .or_default()
        .add(&exact);
    for &eps in grid {
        for name in ESTIMATORS {
            let est = estimator(name, eps)?.per_sample(energy, x)?.detach();
            let k = key(name, eps);
            sweep
                .vs_ssm
                .entry(k.clone())
                .or_default()
                .add(&(&est - &ssm));
            sweep
                .vs_exact
                .entry(k.clone())
                .or_default()
                .add(&(&est - &exact));
            sweep.values.entry(k).or_default().add(&est);
        }
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct Row {
    estimator: String,
    eps: Option<f64>,
    mean: f64,
    variance: f64,
    sq_bias_bound: Option<f64>,
    sq_bias_bound_vs_exact: Option<f64>,
}

fn bound(m: &Moments) -> f64 {
    (m.mean.abs() + 2.0 * m.standard_error()).powi(2)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dev = device(args.cpu);
    let samples = args
        .samples
        .unwrap_or(if args.quick { 200_000 } else { 5_000_000 });
    if samples < 2 || args.chunk < 2 {
        bail!("--samples and --chunk must be at least 2");
    }
    let dir = results_dir(&args.out, "estimator-bias-variance")?;
    if args.plot_only {
        let text = std::fs::read_to_string(dir.join("summary.json"))
            .context("reading the summary to replot")?;
        let summary: serde_json::Value = serde_json::from_str(&text)?;
        let rows: Vec<Row> = serde_json::from_value(summary["rows"].clone())?;
        return plots(&dir, &rows);
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
        sweep_chunk(&mut sweep, &energy, &banana(n, dev), &grid)
            .context("evaluating estimators")?;
        bar.inc(1);
    }
    bar.finish();
    report(
        &args,
        &dir,
        &sweep,
        &grid,
        final_sm,
        start.elapsed().as_secs_f64(),
    )
}

fn report(
    args: &Args,
    dir: &std::path::Path,
    sweep: &Sweep,
    grid: &[f64],
    final_sm: f64,
    secs: f64,
) -> Result<()> {
    let mut rows: Vec<Row> = ["SSM", "exact SM"]
        .iter()
        .map(|name| {
            let m = sweep.values[*name];
            Row {
                estimator: name.to_string(),
                eps: None,
                mean: m.mean,
                variance: m.variance(),
                sq_bias_bound: None,
                sq_bias_bound_vs_exact: None,
            }
        })
        .collect();
    let mut z_test = BTreeMap::new();
    for name in ESTIMATORS {
        for &eps in grid {
            let k = key(name, eps);
            let (v, d, e) = (sweep.values[&k], sweep.vs_ssm[&k], sweep.vs_exact[&k]);
            rows.push(Row {
                estimator: name.into(),
                eps: Some(eps),
                mean: v.mean,
                variance: v.variance(),
                sq_bias_bound: Some(bound(&d)),
                sq_bias_bound_vs_exact: Some(bound(&e)),
            });
            if eps == 6e-5 {
                let p = two_sided_p(d.mean / d.standard_error());
                z_test.insert(
                    name.to_string(),
                    serde_json::json!({"eps": eps, "p_value": p}),
                );
            }
        }
    }
    let summary = serde_json::json!({
        "protocol": "ours (paper-spec §3.1): E = <x, psi(x)>, psi 2-100-100-2 tanh trained by exact SM; paired per-sample estimates; bound = (|mean(est - SSM)| + 2 SE)^2",
        "samples_per_eps": sweep.values["SSM"].n,
        "final_train_exact_sm": final_sm,
        "seconds": secs,
        "args": args,
        "rows": rows,
        "z_test": z_test,
    });
    write_json(&dir.join("summary.json"), &summary)?;
    let csv: Vec<Vec<f64>> = rows
        .iter()
        .filter_map(|r| {
            Some(vec![
                r.eps?,
                ESTIMATORS.iter().position(|e| *e == r.estimator)? as f64,
                r.mean,
                r.variance,
                r.sq_bias_bound?,
            ])
        })
        .collect();
    write_csv(
        &dir.join("curves.csv"),
        &[
            "eps",
            "estimator_index(MVL-CV,MVL,DSM-CV,DSM)",
            "mean",
            "variance",
            "sq_bias_bound",
        ],
        &csv,
    )?;
    plots(dir, &rows)?;
    print_table(&rows, &z_test);
    Ok(())
}

fn plots(dir: &std::path::Path, rows: &[Row]) -> Result<()> {
    let series = |f: &dyn Fn(&Row) -> Option<f64>| -> Vec<Series> {
        ESTIMATORS
            .iter()
            .map(|name| Series {
                name: name.to_string(),
                points: rows
                    .iter()
                    .filter(|r| r.estimator == *name)
                    .filter_map(|r| Some((r.eps?, f(r)?)))
                    .collect(),
                dashed: !name.ends_with("CV"),
            })
            .collect()
    };
    let axes = |title, y_label| Axes {
        title,
        x_label: "step size eps (sigma^2 for DSM)",
        y_label,
        log_x: true,
        log_y: true,
    };
    for (file, title, y, f) in [
        (
            "sq_bias.png",
            "Squared bias bound vs SSM",
            "squared bias (upper bound)",
            &(|r: &Row| r.sq_bias_bound) as &dyn Fn(&Row) -> Option<f64>,
        ),
        (
            "variance.png",
            "Variance of the per-sample estimate",
            "variance",
            &|r: &Row| Some(r.variance),
        ),
    ] {
        if let Err(e) = line_plot(&dir.join(file), &axes(title, y), &series(f)) {
            eprintln!("warning: plot {file} skipped: {e}");
        }
    }
    Ok(())
}

fn print_table(rows: &[Row], z_test: &BTreeMap<String, serde_json::Value>) {
    println!(
        "{:8} {:>9} {:>12} {:>12} {:>12}",
        "estimator", "eps", "mean", "variance", "sq.bias<="
    );
    for r in rows {
        let eps = r.eps.map_or("-".into(), |e| format!("{e:.0e}"));
        let b = r.sq_bias_bound.map_or("-".into(), |b| format!("{b:.2e}"));
        println!(
            "{:8} {:>9} {:>12.5} {:>12.4e} {:>12}",
            r.estimator, eps, r.mean, r.variance, b
        );
    }
    for (name, v) in z_test {
        println!(
            "z-test vs SSM at eps = 6e-5: {name:7} p = {:.3}",
            v["p_value"].as_f64().unwrap_or(f64::NAN)
        );
    }
}
