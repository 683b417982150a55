//! Figure 2 of the paper: density estimation on S^1 and S^2 with Riemannian MVL, and on the
//! hyperbolic plane (ours). The energy E(y) = ⟨y, ψ(y)⟩ (ψ: n→100→100→n, tanh) is trained
//! on fresh samples of a known mixture every iteration, exactly as the authors' notebook
//! (paper-spec §3.2-3.4: ε₀ = 1e-5, energy scale ½, per-row rescaling, control variate,
//! TF1 RMSProp 5e-4, 50,000 samples per iteration, f32), then compared with the truth on a
//! quadrature grid. The `sphere-density` binary is this module's command line.

mod plot;

use crate::cli::{CommonArgs, positive_finite};
use crate::nets;
use crate::output::{progress, write_csv};
use crate::targets::{circle_mixture, disk_mixture, sphere_mixture};
use anyhow::Result;
use mvl_manifold::integration::{DensityComparison, Grid, compare, energies};
use mvl_manifold::{Energy, Manifold, PoincareBall, Sphere, TensorDistribution};
use mvl_objectives::{MinimumVelocity, Objective};
use mvl_train::{OptimizerConfig, TrainConfig, train};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Device, Kind, Tensor, nn};

/// The manifolds of the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
pub enum Surface {
    /// The circle S^1 (paper Figure 2).
    #[value(name = "S1")]
    S1,
    /// The sphere S^2 (paper Appendix E.1.3).
    #[value(name = "S2")]
    S2,
    /// The hyperbolic plane H^2 as the Poincaré disk (ours).
    #[value(name = "H2")]
    H2,
}

/// The command line of `sphere-density`.
#[derive(clap::Parser, Debug, Clone, Serialize, Deserialize)]
#[command(
    name = "sphere-density",
    version,
    about = "Learns densities on S^1, S^2 and H^2 with Riemannian minimum velocity learning \
             (paper Figure 2). --quick: 600 iterations of 5,000 samples instead of 3,000 of 50,000."
)]
pub struct Args {
    /// Output, device, quick mode and threads.
    #[command(flatten)]
    #[serde(flatten)]
    pub common: CommonArgs,
    /// Manifolds to run, comma-separated (all are checked before any work starts).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "S1,S2,H2")]
    pub manifolds: Vec<Surface>,
    /// Training iterations (default 3000; 600 with --quick).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: Option<u64>,
    /// Fresh target samples per iteration (default 50,000; 5,000 with --quick).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    pub batch: Option<i64>,
    /// Sampler step size ε₀ (finite, > 0).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1e-5, value_parser = positive_finite)]
    pub eps: f64,
    /// RMSProp learning rate (finite, > 0).
    #[arg(long, allow_negative_numbers = true, default_value_t = 5e-4, value_parser = positive_finite)]
    pub lr: f64,
    /// Train in f64 instead of f32.
    #[arg(long)]
    pub f64: bool,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Iterations between checkpoints.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: u64,
}

impl Args {
    fn iterations(&self) -> usize {
        let default = if self.common.quick { 600 } else { 3000 };
        self.iterations.map_or(default, |n| n as usize)
    }

    fn batch(&self) -> i64 {
        let default = if self.common.quick { 5_000 } else { 50_000 };
        self.batch.unwrap_or(default)
    }
}

/// One manifold's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    /// The manifold.
    pub manifold: Surface,
    /// Learned vs true density on the comparison grid.
    #[serde(flatten)]
    pub metrics: DensityComparison,
    /// Training seconds (all invocations of a resumed run).
    pub seconds: f64,
    /// Training iterations.
    pub iterations: usize,
    /// Samples per iteration.
    pub batch: i64,
    /// The last iteration's loss (`None` in summaries of older runs that resumed a finished
    /// checkpoint, which did not keep the losses).
    pub final_loss: Option<f64>,
    /// The iteration a resumed run continued from.
    pub resumed_at: Option<usize>,
}

/// `<out>/sphere-density/summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// The command line that produced it.
    pub args: Args,
    /// One entry per manifold, in the order run.
    pub runs: Vec<RunSummary>,
}

/// The hyperbolic radius of the disk on which H^2 densities are compared (the target puts
/// 99.9% of its mass inside; beyond it the learned energy only extrapolates).
const H2_RADIUS: f64 = 3.0;

/// Rows per chunk of the learned energy's evaluation (kept from the published runs: the chunk
/// size can change the last bits of f32 results on CUDA).
const CHUNK_ROWS: i64 = 20_000;

/// Trains and evaluates one manifold, writing its loss curve and plot into `dir`.
pub fn run(args: &Args, surface: Surface, dev: Device, dir: &Path) -> Result<RunSummary> {
    match surface {
        Surface::S1 => fit(
            args,
            surface,
            dev,
            dir,
            Sphere::new(1)?,
            &circle_mixture()?,
            Grid::circle(5000)?,
        ),
        Surface::S2 => fit(
            args,
            surface,
            dev,
            dir,
            Sphere::new(2)?,
            &sphere_mixture()?,
            Grid::sphere2(100, 200)?,
        ),
        Surface::H2 => fit(
            args,
            surface,
            dev,
            dir,
            PoincareBall::new(2)?,
            &disk_mixture()?,
            Grid::poincare_disk(200, 128, H2_RADIUS)?,
        ),
    }
}

/// The precision of training and evaluation.
fn kind(args: &Args) -> Kind {
    if args.f64 { Kind::Double } else { Kind::Float }
}

fn fit<M: Manifold + Clone>(
    args: &Args,
    surface: Surface,
    dev: Device,
    dir: &Path,
    manifold: M,
    target: &dyn TensorDistribution,
    grid: Grid,
) -> Result<RunSummary> {
    let (kind, iterations, batch) = (kind(args), args.iterations(), args.batch());
    let name = format!("{surface:?}");
    tch::manual_seed(args.seed as i64);
    let mut vs = nn::VarStore::new(dev);
    // On the Poincaré ball the network sees log₀(y) (|log₀ y| = distance to the origin), since
    // hyperbolic energies blow up at the ball's boundary; on spheres it sees y (the paper's).
    let features: fn(&Tensor) -> Tensor = match surface {
        Surface::H2 => nets::poincare_log0,
        Surface::S1 | Surface::S2 => Tensor::shallow_clone,
    };
    let inner = nets::inner_product_energy(&vs.root(), manifold.ambient_dim(), &[100, 100]);
    let energy = nets::FeatureEnergy { features, inner };
    if args.f64 {
        vs.double();
    }
    let config = TrainConfig {
        label: name.clone(),
        iterations,
        optimizer: OptimizerConfig::TfRmsProp { lr: args.lr },
        seed: Some(args.seed),
        checkpoint_every: args.checkpoint_every as usize,
        extra: serde_json::json!({ "batch": batch, "kind": format!("{kind:?}"), "net": "100-100 tanh", "eps": args.eps, "h2_features": "log0" }),
    };
    let objective = MinimumVelocity::riemannian(manifold, args.eps)?;
    let mut step = |_| objective.loss(&energy, &target.sample(batch).to_kind(kind).to_device(dev));
    let mut bar = progress(iterations as u64, &name);
    let checkpoint = args
        .common
        .checkpoint(dir.join(format!("checkpoint-{name}")))?;
    let log = train(
        &config,
        &mut vs,
        &mut step,
        &mut [&mut bar],
        Some(&checkpoint),
    )?;
    let log_q = learned_log_density(&energy, &grid.points, kind, dev);
    let log_p = target.log_prob(&grid.points);
    // Compare on the grid's region (the whole manifold for S^n): normalise both there.
    let log_p = &log_p - grid.log_integral(&log_p)?;
    let metrics = compare(&log_p, &log_q, &grid)?;
    if let Err(e) = plot::density(dir, surface, &grid, &log_p, &log_q, &|pts| {
        learned_log_density(&energy, pts, kind, dev)
    }) {
        eprintln!("warning: {name} plot skipped: {e}");
    }
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
    Ok(RunSummary {
        manifold: surface,
        metrics,
        seconds: log.seconds,
        iterations,
        batch,
        final_loss: log.losses.last().copied(),
        resumed_at: log.resumed_at,
    })
}

/// −E at f64 points, evaluated in the training dtype, returned in f64 on the CPU.
fn learned_log_density(energy: &dyn Energy, points: &Tensor, kind: Kind, dev: Device) -> Tensor {
    -energies(energy, points, (kind, dev), CHUNK_ROWS)
}
