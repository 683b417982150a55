//! Figure 2 of the paper: density estimation on S^1 and S^2 with Riemannian MVL, and on the
//! hyperbolic plane (ours). The energy E(y) = ⟨y, ψ(y)⟩ (ψ: n→100→100→n, tanh) is trained
//! on fresh samples of a known mixture every iteration, exactly as the authors' notebook
//! (paper-spec §3.2-3.4: ε₀ = 1e-5, energy scale ½, per-row rescaling, control variate,
//! TF1 RMSProp 5e-4, 50,000 samples per iteration, f32), then compared with the truth on a
//! quadrature grid.

use anyhow::{Result, bail};
use clap::Parser;
use mvl_experiments::output::{progress, results_dir, write_csv, write_json};
use mvl_experiments::plot::{Axes, MapPanel, Series, heat_map, line_plot};
use mvl_experiments::targets::{circle_mixture, disk_mixture, sphere_mixture};
use mvl_experiments::{device, nets};
use mvl_manifold::integration::{DensityComparison, Grid, compare, energies};
use mvl_manifold::{Energy, Manifold, PoincareBall, Sphere, TensorDistribution};
use mvl_objectives::{MinimumVelocity, Objective};
use mvl_train::{OptimizerConfig, TrainConfig, train};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tch::{Device, Kind, Tensor, nn};

/// Learns densities on S^1, S^2 and H^2 with Riemannian minimum velocity learning.
#[derive(Parser, Serialize, Clone)]
#[command(version, about)]
struct Args {
    /// Quick mode (ours): 600 iterations of 5,000 samples instead of 3,000 of 50,000.
    #[arg(long)]
    quick: bool,
    /// Manifolds to run, comma-separated: S1, S2, H2.
    #[arg(long, value_delimiter = ',', default_value = "S1,S2,H2")]
    manifolds: Vec<String>,
    /// Training iterations (default 3000; 600 with --quick).
    #[arg(long)]
    iterations: Option<usize>,
    /// Fresh target samples per iteration (default 50,000; 5,000 with --quick).
    #[arg(long)]
    batch: Option<i64>,
    /// Sampler step size ε₀.
    #[arg(long, default_value_t = 1e-5)]
    eps: f64,
    /// RMSProp learning rate.
    #[arg(long, default_value_t = 5e-4)]
    lr: f64,
    /// Train in f64 instead of f32.
    #[arg(long)]
    f64: bool,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Iterations between checkpoints.
    #[arg(long, default_value_t = 100)]
    checkpoint_every: usize,
    /// Output root; results go to `<out>/sphere-density/`.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Run on the CPU even if CUDA is available.
    #[arg(long)]
    cpu: bool,
}

/// The hyperbolic radius of the disk on which H^2 densities are compared (the target puts
/// 99.9% of its mass inside; beyond it the learned energy only extrapolates).
const H2_RADIUS: f64 = 3.0;

#[derive(Serialize)]
struct RunSummary {
    manifold: String,
    #[serde(flatten)]
    metrics: DensityComparison,
    seconds: f64,
    iterations: usize,
    batch: i64,
    final_loss: f64,
    resumed_at: Option<usize>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dev = device(args.cpu);
    let dir = results_dir(&args.out, "sphere-density")?;
    let mut runs = Vec::new();
    for name in &args.manifolds {
        let run = match name.as_str() {
            "S1" => run(
                &args,
                dev,
                &dir,
                name,
                Sphere::new(1)?,
                &circle_mixture()?,
                Grid::circle(5000),
            )?,
            "S2" => run(
                &args,
                dev,
                &dir,
                name,
                Sphere::new(2)?,
                &sphere_mixture()?,
                Grid::sphere2(100, 200),
            )?,
            "H2" => run(
                &args,
                dev,
                &dir,
                name,
                PoincareBall::new(2)?,
                &disk_mixture()?,
                Grid::poincare_disk(200, 128, H2_RADIUS)?,
            )?,
            other => bail!("unknown manifold {other:?}: use S1, S2 or H2"),
        };
        println!(
            "{:3}  corr(log p) {:.4}  TV {:.4}  KL {:.5}  max|Δ log p| {:.3}  ({:.0} s)",
            run.manifold,
            run.metrics.corr_logdensity,
            run.metrics.tv,
            run.metrics.kl,
            run.metrics.max_abs_logdensity_err,
            run.seconds
        );
        runs.push(run);
    }
    write_json(
        &dir.join("summary.json"),
        &serde_json::json!({ "args": args, "runs": runs }),
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn run<M: Manifold + Clone>(
    args: &Args,
    dev: Device,
    dir: &Path,
    name: &str,
    manifold: M,
    target: &dyn TensorDistribution,
    grid: Grid,
) -> Result<RunSummary> {
    let kind = if args.f64 { Kind::Double } else { Kind::Float };
    let iterations = args
        .iterations
        .unwrap_or(if args.quick { 600 } else { 3000 });
    let batch = args
        .batch
        .unwrap_or(if args.quick { 5_000 } else { 50_000 });
    let n = manifold.ambient_dim();
    tch::manual_seed(args.seed as i64);
    let mut vs = nn::VarStore::new(dev);
    // On the Poincaré ball the network sees log₀(y) (|log₀ y| = distance to the origin), since
    // hyperbolic energies blow up at the ball's boundary; on spheres it sees y (the paper's).
    let net = nets::inner_product_energy(&vs.root(), n, &[100, 100]);
    let features: fn(&Tensor) -> Tensor = if name == "H2" {
        nets::poincare_log0
    } else {
        Tensor::shallow_clone
    };
    let energy = nets::FeatureEnergy {
        features,
        inner: net,
    };
    if args.f64 {
        vs.double();
    }
    let config = TrainConfig {
        label: name.to_owned(),
        iterations,
        optimizer: OptimizerConfig::TfRmsProp { lr: args.lr },
        seed: Some(args.seed),
        checkpoint_every: args.checkpoint_every,
        extra: serde_json::json!({ "batch": batch, "kind": format!("{kind:?}"), "net": "100-100 tanh", "eps": args.eps, "h2_features": "log0" }),
    };
    let objective = MinimumVelocity::riemannian(manifold, args.eps)?;
    let mut step = |_| objective.loss(&energy, &target.sample(batch).to_kind(kind).to_device(dev));
    let mut bar = progress(iterations as u64, name);
    let checkpoint = dir.join(format!("checkpoint-{name}"));
    let log = train(
        &config,
        &mut vs,
        &mut step,
        &mut [&mut bar],
        Some(&checkpoint),
    )?;
    let seconds = log.seconds;
    let log_q = learned_log_density(&energy, &grid.points, kind, dev);
    let log_p = target.log_prob(&grid.points);
    // Compare on the grid's region (the whole manifold for S^n): normalise both there.
    let log_p = &log_p - grid.log_integral(&log_p);
    let metrics = compare(&log_p, &log_q, &grid);
    plot(dir, name, &grid, &log_p, &log_q, &energy, kind, dev)?;
    let curve: Vec<Vec<f64>> = log
        .losses
        .iter()
        .enumerate()
        .map(|(i, l)| vec![i as f64, *l])
        .collect();
    write_csv(
        &dir.join(format!("{name}-loss.csv")),
        &["iteration", "loss"],
        &curve,
    )?;
    let final_loss = log.losses.last().copied().unwrap_or(f64::NAN);
    Ok(RunSummary {
        manifold: name.to_owned(),
        metrics,
        seconds,
        iterations,
        batch,
        final_loss,
        resumed_at: log.resumed_at,
    })
}

/// Rows per chunk of the learned energy's evaluation (kept from the published runs: the chunk
/// size can change the last bits of f32 results on CUDA).
const CHUNK_ROWS: i64 = 20_000;

/// −E at f64 points, evaluated in the training dtype, returned in f64 on the CPU.
fn learned_log_density(energy: &dyn Energy, points: &Tensor, kind: Kind, dev: Device) -> Tensor {
    -energies(energy, points, (kind, dev), CHUNK_ROWS)
}

#[allow(clippy::too_many_arguments)]
fn plot(
    dir: &Path,
    name: &str,
    grid: &Grid,
    log_p: &Tensor,
    log_q: &Tensor,
    energy: &dyn Energy,
    kind: Kind,
    dev: Device,
) -> Result<()> {
    let result = match name {
        "S1" => {
            let theta = grid.points.select(1, 1).atan2(&grid.points.select(1, 0));
            let to_points = |v: &Tensor| -> Vec<(f64, f64)> {
                let (t, v): (Vec<f64>, Vec<f64>) = (
                    Vec::try_from(&theta).unwrap_or_default(),
                    Vec::try_from(v).unwrap_or_default(),
                );
                t.into_iter().zip(v).collect()
            };
            let log_qn = log_q - grid.log_integral(log_q);
            let series = vec![
                Series {
                    name: "true density".into(),
                    points: to_points(&log_p.exp()),
                    dashed: false,
                },
                Series {
                    name: "learned (MVL)".into(),
                    points: to_points(&log_qn.exp()),
                    dashed: true,
                },
            ];
            let axes = Axes {
                title: "S^1: learned vs true density",
                x_label: "angle (radians)",
                y_label: "density",
                log_x: false,
                log_y: false,
            };
            line_plot(&dir.join("S1-density.png"), &axes, &series)
        }
        "S2" => {
            let lon: i64 = 180;
            let pts = Grid::lon_lat(90, lon as usize).points;
            let centred = |v: Tensor| -> Vec<Vec<f64>> { rows(&(&v - v.mean(Kind::Double)), lon) };
            let mixture = sphere_mixture()?;
            let panels = vec![
                MapPanel::lon_lat(
                    "true energy (centred)",
                    centred(-mixture.log_prob(&pts)),
                    vec![],
                ),
                MapPanel::lon_lat(
                    "learned energy (centred)",
                    centred(-learned_log_density(energy, &pts, kind, dev)),
                    vec![],
                ),
            ];
            heat_map(&dir.join("S2-energy.png"), &panels, true)
        }
        _ => {
            let k = 200;
            let (pts, inside) = disk_points(k);
            let h2 = disk_mixture()?;
            let masked = |v: Tensor| -> Vec<Vec<f64>> {
                rows(
                    &(&v - v.masked_select(&inside).mean(Kind::Double))
                        .where_scalarother(&inside, f64::NAN),
                    k,
                )
            };
            let panel = |title: &str, v| MapPanel {
                title: title.into(),
                values: masked(v),
                points: vec![],
                extent: [-1.0, 1.0, -1.0, 1.0],
                labels: ["x1", "x2"],
            };
            let panels = vec![
                panel("true energy (centred), Poincare disk", -h2.log_prob(&pts)),
                panel(
                    "learned energy (centred)",
                    -learned_log_density(energy, &pts, kind, dev),
                ),
            ];
            heat_map(&dir.join("H2-energy.png"), &panels, true)
        }
    };
    if let Err(e) = result {
        eprintln!("warning: {name} plot skipped: {e}");
    }
    Ok(())
}

/// A k × k grid over [−1, 1]² (rows from the top) and the mask of its points inside the disk
/// of radius 0.98.
fn disk_points(k: i64) -> (Tensor, Tensor) {
    let opts = (Kind::Double, Device::Cpu);
    let c = (Tensor::arange(k, opts) + 0.5) * (2.0 / k as f64) - 1.0;
    let x = c.unsqueeze(0).expand([k, k], false);
    let y = c.flip([0]).unsqueeze(1).expand([k, k], false);
    let pts = Tensor::stack(&[x.flatten(0, 1), y.flatten(0, 1)], 1);
    let inside = pts
        .square()
        .sum_dim_intlist(1, false, Kind::Double)
        .lt(0.98 * 0.98);
    (pts.where_scalarother(&inside.unsqueeze(1), 0.0), inside)
}

/// A flat tensor as rows of `cols` values.
fn rows(v: &Tensor, cols: i64) -> Vec<Vec<f64>> {
    let flat: Vec<f64> = Vec::try_from(v.to_kind(Kind::Double).contiguous()).unwrap_or_default();
    flat.chunks(cols as usize).map(<[f64]>::to_vec).collect()
}
