//! Per-step training cost of the score-matching estimators on the standard workload:
//! energy MLP d → 256 → 256 → 1 (softplus), f32, batch 128, x ~ N(0, I_d), one step = loss +
//! backward + Adam(1e-4). `plain` is a forward + backward + Adam step on the mean energy,
//! the unit against which the MVL step's cost is reported. `--energy explicit` runs the same
//! network (same initialisation and seed) as `mvl_manifold::MlpEnergy`, whose ∇ₓE is a
//! hand-written backward chain and whose ΔₓE (exact SM) is a forward Laplacian, instead of
//! autograd (`--energy autograd`, the default, as PyTorch does).

use anyhow::{Result, bail};
use clap::Parser;
use mvl_experiments::estimators::Estimator;
use mvl_manifold::{Activation, Energy, MlpEnergy, MlpInit, MlpSpec, ModuleEnergy};
use mvl_objectives::Objective;
use serde::Serialize;
use std::time::Instant;
use tch::nn;
use tch::{Device, Kind, Tensor};

/// Times one training step of each estimator at each dimension and prints the table (or
/// JSON with `--json`).
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Data dimensions d, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2,16,64,256,784")]
    dims: Vec<i64>,
    /// Estimators, comma-separated: exact_sm, ssm, dsm, mvl_cv, plain.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "plain,mvl_cv,dsm,ssm,exact_sm"
    )]
    estimators: Vec<Item>,
    /// Timed steps per (estimator, d); exact_sm uses at most 3 above d = 64.
    #[arg(long, default_value_t = 50)]
    reps: usize,
    /// Untimed warm-up steps per (estimator, d).
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Batch size.
    #[arg(long, default_value_t = 128)]
    batch: i64,
    /// Print `{"results": [...]}` JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Run on CUDA (the standard workload is CPU).
    #[arg(long)]
    cuda: bool,
    /// libtorch intra-op threads (default: libtorch's choice).
    #[arg(long)]
    threads: Option<i32>,
    /// Keep glibc's default allocator thresholds, which hand the memory of freed tensors back
    /// to the system (every run otherwise keeps it, `mvl_train::keep_freed_memory`): for
    /// measuring what that setting is worth.
    #[arg(long)]
    default_allocator: bool,
    /// Instead of timing: read a summary written by `scripts/bench_energy` and draw its step
    /// times against d (exact SM and MVL-CV; Rust autograd, Rust `MlpEnergy`, PyTorch) into
    /// `step-time.png` next to it.
    #[arg(long, value_name = "SUMMARY_JSON")]
    plot: Option<std::path::PathBuf>,
    /// How the energy's input derivatives are computed: `autograd` (an `nn::Sequential`
    /// in `ModuleEnergy`) or `explicit` (`MlpEnergy`: explicit ∇ₓE, forward Laplacian).
    #[arg(long, value_enum, default_value = "autograd")]
    energy: EnergyImpl,
    /// Instead of timing a table: serve timing requests `<estimator> <d> <steps>` on standard
    /// input, one JSON line `{"ms": [...]}` each (the protocol of `scripts/bench_pingpong`,
    /// which alternates bursts of this and PyTorch's `bench_pytorch.py --serve`).
    #[arg(long)]
    serve: bool,
}

/// The two evaluations of the same energy network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EnergyImpl {
    /// `ModuleEnergy` over `nn::Sequential`: derivatives by autograd.
    Autograd,
    /// `MlpEnergy`: explicit derivatives.
    Explicit,
}

impl EnergyImpl {
    /// The workload's network d → 256 → 256 → 1 (softplus, tch's default initialisation),
    /// created under `root` in the same order either way, so one seed gives one set of weights.
    fn build(self, root: &nn::Path, d: i64) -> Result<Box<dyn Energy>> {
        Ok(match self {
            EnergyImpl::Autograd => Box::new(ModuleEnergy(
                nn::seq()
                    .add(nn::linear(root / "l1", d, 256, Default::default()))
                    .add_fn(|x| x.softplus())
                    .add(nn::linear(root / "l2", 256, 256, Default::default()))
                    .add_fn(|x| x.softplus())
                    .add(nn::linear(root / "l3", 256, 1, Default::default())),
            )),
            EnergyImpl::Explicit => {
                let spec = MlpSpec::new(&[256, 256])
                    .activation(Activation::Softplus)
                    .init(MlpInit::Torch);
                Box::new(MlpEnergy::new(root, d, &spec)?)
            }
        })
    }
}

#[derive(Serialize)]
struct Row {
    estimator: String,
    dim: i64,
    ms_per_step: f64,
    ms_min: f64,
    steps: usize,
    ratio_to_plain: Option<f64>,
}

/// What one timed step computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Item {
    /// Forward + backward + Adam on the mean energy: the unit of the ratios.
    Plain,
    /// MVL with the control variate, ε = 1e-3.
    #[value(name = "mvl_cv")]
    MvlCv,
    /// Denoising score matching, σ = 0.1.
    Dsm,
    /// Sliced score matching, one Gaussian projection.
    Ssm,
    /// Exact score matching.
    #[value(name = "exact_sm")]
    ExactSm,
}

impl Item {
    fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map_or_else(String::new, |v| v.get_name().to_owned())
    }

    fn objective(self, d: i64) -> Result<Option<Box<dyn Objective>>> {
        let (estimator, eps) = match self {
            Item::Plain => return Ok(None),
            Item::MvlCv => (Estimator::MvlCv, 1e-3),
            Item::Dsm => (Estimator::Dsm, 0.01),
            Item::Ssm => (Estimator::Ssm, 0.0),
            Item::ExactSm => (Estimator::ExactSm, 0.0),
        };
        Ok(Some(estimator.build(eps, d)?))
    }
}

/// One (estimator, d) workload, set up once: the network, its Adam and the objective.
struct Workload {
    vs: nn::VarStore,
    energy: Box<dyn Energy>,
    opt: Box<dyn mvl_train::Optimizer>,
    obj: Option<Box<dyn Objective>>,
    batch: i64,
    d: i64,
    device: Device,
}

impl Workload {
    fn new(args: &Args, item: Item, d: i64, device: Device) -> Result<Self> {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(device);
        let energy = args.energy.build(&vs.root(), d)?;
        let opt = mvl_train::OptimizerConfig::adam(1e-4).build(&vs)?;
        let obj = item.objective(d)?;
        Ok(Self {
            vs,
            energy,
            opt,
            obj,
            batch: args.batch,
            d,
            device,
        })
    }

    /// One step on a fresh batch; its milliseconds.
    fn step(&mut self) -> Result<f64> {
        let x = Tensor::randn([self.batch, self.d], (Kind::Float, self.device));
        let start = Instant::now();
        let loss = match &self.obj {
            Some(o) => o.loss(self.energy.as_ref(), &x)?,
            None => self.energy.energy(&x).mean(Kind::Float),
        };
        loss.backward();
        self.opt.step(&self.vs);
        if let Device::Cuda(i) = self.device {
            tch::Cuda::synchronize(i as i64);
        }
        Ok(start.elapsed().as_secs_f64() * 1e3)
    }
}

/// Median and minimum milliseconds per step.
fn time_steps(args: &Args, item: Item, d: i64, device: Device) -> Result<(f64, f64, usize)> {
    let mut work = Workload::new(args, item, d, device)?;
    let reps = if item == Item::ExactSm && d > 64 {
        args.reps.min(3)
    } else {
        args.reps
    };
    let mut times = Vec::with_capacity(reps);
    for i in 0..args.warmup + reps {
        let ms = work.step()?;
        if i >= args.warmup {
            times.push(ms);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[0], reps))
}

/// `--serve`: reads requests `<estimator> <d> <steps>` from standard input, one per line, and
/// answers each with one JSON line `{"ms": [...]}`, the times of that many steps of the
/// workload (set up at the first request for it and kept while the requests name it), so that
/// `scripts/bench_pingpong` can alternate short bursts of two long-lived processes.
fn serve(args: &Args, device: Device) -> Result<()> {
    use std::io::{BufRead, Write};
    let mut current: Option<(Item, i64, Workload)> = None;
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [estimator, d, steps] = fields[..] else {
            bail!("--serve: expected `<estimator> <d> <steps>`, got {line:?}");
        };
        let item = <Item as clap::ValueEnum>::from_str(estimator, false)
            .map_err(|e| anyhow::anyhow!("--serve: estimator {estimator:?}: {e}"))?;
        let d: i64 = d
            .parse()
            .map_err(|e| anyhow::anyhow!("--serve: d {d:?}: {e}"))?;
        let steps: usize = steps
            .parse()
            .map_err(|e| anyhow::anyhow!("--serve: steps {steps:?}: {e}"))?;
        if d < 1 {
            bail!("--serve: d must be at least 1, got {d}");
        }
        if !matches!(&current, Some((i, k, _)) if *i == item && *k == d) {
            current = Some((item, d, Workload::new(args, item, d, device)?));
        }
        let work = &mut current.as_mut().expect("set above").2;
        let ms = (0..steps)
            .map(|_| work.step())
            .collect::<Result<Vec<f64>>>()?;
        let mut out = stdout.lock();
        writeln!(out, "{}", serde_json::json!({ "ms": ms }))?;
        out.flush()?;
    }
    Ok(())
}

/// Step time against d from `scripts/bench_energy`'s summary, log-log, into step-time.png.
fn plot_summary(path: &std::path::Path) -> Result<()> {
    use mvl_experiments::plot::{Axes, Series, line_plot};
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let summary: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", path.display()))?;
    let Some(rows) = summary["results"].as_array() else {
        bail!("{} has no \"results\" array", path.display());
    };
    let mut series = Vec::new();
    for (estimator, label) in [("exact_sm", "exact SM"), ("mvl_cv", "MVL-CV")] {
        for (field, side) in [
            ("autograd_ms", "Rust, autograd"),
            ("explicit_ms", "Rust, MlpEnergy"),
            ("pytorch_ms", "PyTorch"),
        ] {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r["estimator"] == estimator)
                .filter_map(|r| Some((r["dim"].as_f64()?, r[field].as_f64()?)))
                .collect();
            if !points.is_empty() {
                series.push(Series {
                    name: format!("{label}: {side}"),
                    points,
                    dashed: field == "pytorch_ms",
                });
            }
        }
    }
    if series.is_empty() {
        bail!("{} has no exact_sm or mvl_cv rows", path.display());
    }
    let axes = Axes {
        title: "Training step time against d (MLP d-256-256-1, batch 128, CPU)",
        x_label: "d",
        y_label: "median ms per step",
        log_x: true,
        log_y: true,
    };
    let out = path.with_file_name("step-time.png");
    line_plot(&out, &axes, &series)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.plot {
        return plot_summary(path);
    }
    if args.reps == 0 || args.batch < 1 {
        bail!("--reps and --batch must be at least 1");
    }
    if !args.default_allocator {
        mvl_train::keep_freed_memory();
    }
    if let Some(t) = args.threads {
        tch::set_num_threads(t);
    }
    let device = if args.cuda {
        Device::Cuda(0)
    } else {
        Device::Cpu
    };
    if args.serve {
        return serve(&args, device);
    }
    let mut rows: Vec<Row> = Vec::new();
    for &d in &args.dims {
        let mut plain = None;
        for &item in &args.estimators {
            let (median, min, steps) = time_steps(&args, item, d, device)?;
            let name = item.name();
            if item == Item::Plain {
                plain = Some(median);
            }
            let ratio = plain.filter(|_| item != Item::Plain).map(|p| median / p);
            if !args.json {
                eprintln!(
                    "d = {d:4}  {name:9} {median:10.3} ms/step (min {min:.3}, {steps} steps)"
                );
            }
            rows.push(Row {
                estimator: name,
                dim: d,
                ms_per_step: median,
                ms_min: min,
                steps,
                ratio_to_plain: ratio,
            });
        }
    }
    let out = serde_json::json!({
        "workload": "MLP d-256-256-1 softplus, f32, batch 128, Adam(1e-4); median ms per step",
        "device": format!("{device:?}"),
        "energy": clap::ValueEnum::to_possible_value(&args.energy).map(|v| v.get_name().to_owned()),
        "threads": tch::get_num_threads(),
        "allocator": if args.default_allocator { "glibc default" } else { "freed memory kept" },
        "results": rows,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}
