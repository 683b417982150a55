//! Trains one model of the paper's Table 2 on MNIST (paper-spec §5): a Wasserstein
//! auto-encoder whose KL penalty's entropy gradient comes from a marginal energy trained by
//! (Riemannian) MVL (ours), or the WAE-GAN / WAE-MMD baselines, with Euclidean or
//! hyperspherical latents. Defaults are the authors' protocol: 200,000 iterations of batch
//! 128, TF1 RMSProp 1e-3, dynamic binarisation, FID of 10,000 generated images against the
//! 10,000 test images on the 512-d features of a LeNet classifier. The authors' classifier
//! weights cannot be fetched: one is trained here once (2 epochs of Adam, about 2 minutes) and
//! cached with its SHA-256, so FIDs are comparable with each other, not with the paper's.
//! Checkpoints every --checkpoint-every iterations; rerunning the same command after a kill
//! resumes exactly. Writes under `<out>/mnist-wae/runs/<run>/` the final parameters, the FID
//! curve (`fid.csv`, `fid.png`), the loss curve, `samples.png` and `reconstructions.png`, and
//! the run's row of `<out>/mnist-wae/summary.json`.

use anyhow::{Context, Result};
use clap::Parser;
use mvl_ae::data::{Batches, Mnist, binarize, default_dir};
use mvl_ae::fid::image_stats;
use mvl_ae::lenet::{Lenet, LenetConfig};
use mvl_ae::wae::{Wae, WaeStep};
use mvl_experiments::cli::CommonArgs;
use mvl_experiments::images::image_grid;
use mvl_experiments::mnist::params_path;
use mvl_experiments::monitor::Monitor;
use mvl_experiments::output::{progress, write_csv, write_json, write_loss_curve};
use mvl_experiments::plot::{Axes, Series, line_plot};
use mvl_experiments::rows::Rows;
use mvl_experiments::wae::{FidPass, FidPoint, WaeArgs, WaeRow, build};
use mvl_train::seed::{Stream, derive};
use mvl_train::{GroupsConfig, train_groups};
use std::path::{Path, PathBuf};

/// Trains a WAE (MVL, WAE-GAN or WAE-MMD) on MNIST and tracks its FID (paper Table 2).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Output, device, threads; --quick: 1,000 iterations, FID of 2,000 images every 500,
    /// a classifier trained on 6,000 images (a smoke run, not the protocol).
    #[command(flatten)]
    common: CommonArgs,
    /// The run.
    #[command(flatten)]
    run: WaeArgs,
    /// Training iterations [default: 200,000; 1,000 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    iters: Option<u64>,
    /// Iterations between checkpoints.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: u64,
    /// Iterations between FID passes (the last iteration always has one) [default: 10,000;
    /// 500 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    fid_every: Option<u64>,
    /// Generated images per FID pass [default: 10,000, the paper's; 2,000 with --quick].
    #[arg(long, value_parser = clap::value_parser!(i64).range(2..=100_000))]
    fid_samples: Option<i64>,
    /// The FID classifier's weights: loaded if present and verified, else trained and saved
    /// there [default: a file per classifier setting under the cache folder of
    /// `scripts/setup`, $MVL_CACHE/lenet/].
    #[arg(long)]
    lenet: Option<PathBuf>,
    /// Folder of the MNIST IDX files [default: $MVL_MNIST, else the setup cache].
    #[arg(long)]
    data: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let spec = args.run.spec()?;
    let quick = args.common.quick;
    let or =
        |flag: Option<u64>, full: u64, small: u64| flag.unwrap_or(if quick { small } else { full });
    let iters = or(args.iters, 200_000, 1000) as usize;
    let fid_every = or(args.fid_every, 10_000, 500) as usize;
    let samples = args
        .fid_samples
        .unwrap_or(if quick { 2000 } else { 10_000 });
    let device = args.common.init();
    let data_dir = args.data.clone().unwrap_or_else(default_dir);
    let data = Mnist::load(&data_dir)?;
    let lenet_config = if quick {
        LenetConfig {
            train_subset: Some(6000),
            ..LenetConfig::default()
        }
    } else {
        LenetConfig::default()
    };
    let lenet_path = args
        .lenet
        .clone()
        .unwrap_or_else(|| lenet_config.default_path());
    eprintln!("FID classifier: {}", lenet_path.display());
    let lenet = Lenet::load_or_train(&lenet_path, || Mnist::load(&data_dir), lenet_config, device)
        .with_context(|| format!("the FID classifier at {}", lenet_path.display()))?;
    tch::manual_seed(derive(spec.seed, Stream::Purpose("fid reference")));
    let reference = image_stats(&lenet, &data.test_images.to_device(device))?;
    let dir = args.common.results_dir("mnist-wae")?;
    let run_dir = spec.dir(&dir);
    std::fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
    mvl_experiments::seed(spec.seed);
    let mut built = build(&spec, device)?;
    let train = data.train_images.to_device(device);
    let batches = Batches::new(
        train.size()[0] as usize,
        built.model.config().batch_size,
        spec.seed,
    )?;
    let batch = |i: usize| batches.batch(&train, i);
    let config = GroupsConfig {
        label: spec.name(),
        iterations: iters,
        groups: built.groups.clone(),
        seed: Some(spec.seed),
        checkpoint_every: args.checkpoint_every as usize,
        extra: serde_json::json!({ "spec": spec, "kind": "f32" }),
    };
    let pass = FidPass {
        model: &built.model,
        lenet: &lenet,
        reference: &reference,
        samples,
        device,
        seed: spec.seed,
    };
    let mut monitor = Monitor::new(
        Box::new(|i| pass.evaluate(i)),
        FidPoint::describe,
        fid_every,
        progress(iters as u64, &spec.name()),
    );
    let mut step = WaeStep::new(&built.model, &batch);
    let mut stores: Vec<&mut tch::nn::VarStore> = built.stores.iter_mut().collect();
    let checkpoint = args.common.checkpoint(run_dir.join("checkpoint"))?;
    let log = train_groups(
        &config,
        &mut stores,
        &mut step,
        &mut [&mut monitor],
        Some(&checkpoint),
    )?;
    let curve = std::mem::take(&mut monitor.curve);
    drop(monitor);
    for (store, group) in built.stores.iter().zip(&built.groups) {
        store.save(params_path(&run_dir, group))?;
    }
    write_outputs(
        &run_dir,
        &built.model,
        &data.test_subset(32).to_device(device),
        &curve,
    )?;
    let final_loss = write_loss_curve(&run_dir.join("train-loss.csv"), "loss", &log.losses)?;
    let last = curve
        .last()
        .filter(|p| p.iteration == iters)
        .context("no FID at the last iteration")?;
    let row = WaeRow {
        spec,
        iters,
        fid: last.fid,
        fid_samples: last.samples,
        classifier_accuracy: lenet.test_accuracy(),
        train_seconds: log.seconds,
        final_loss,
    };
    Rows::update(&dir.join("summary.json"), |rows: &mut Rows<WaeRow>| {
        rows.upsert(row.clone())
    })?;
    println!(
        "{}: {iters} iterations in {:.0} s; FID {:.2} ({} images; classifier test accuracy {:.4})",
        spec.name(),
        log.seconds,
        row.fid,
        row.fid_samples,
        row.classifier_accuracy
    );
    Ok(())
}

/// The FID curve (`fid.csv`, `fid.json`, `fid.png`), `reconstructions.png` (each of 32 test
/// images followed by its reconstruction's Bernoulli means) and `samples.png` (64 decodings of
/// prior draws).
fn write_outputs(
    run_dir: &Path,
    model: &Wae,
    test: &tch::Tensor,
    curve: &[FidPoint],
) -> Result<()> {
    let points: Vec<Vec<f64>> = curve
        .iter()
        .map(|p| vec![p.iteration as f64, p.fid])
        .collect();
    write_csv(&run_dir.join("fid.csv"), &["iteration", "fid"], &points)?;
    write_json(&run_dir.join("fid.json"), &curve)?;
    let series = Series {
        name: "FID (LeNet trained here)".into(),
        points: points.iter().map(|p| (p[0], p[1])).collect(),
        dashed: false,
    };
    let axes = Axes {
        title: "FID during training",
        x_label: "iteration",
        y_label: "FID",
        log_x: false,
        log_y: false,
    };
    if let Err(e) = line_plot(&run_dir.join("fid.png"), &axes, &[series]) {
        eprintln!("warning: fid.png not drawn: {e:#}");
    }
    tch::no_grad(|| -> Result<()> {
        let x = binarize(test);
        let recon = model.decode(&model.encode(&x)?)?.sigmoid();
        let pairs = tch::Tensor::stack(&[&x, &recon], 1).view([-1, 784]);
        image_grid(&run_dir.join("reconstructions.png"), &pairs, 28, 16, 2)?;
        let samples = model.generate(64, (x.kind(), x.device()))?;
        image_grid(&run_dir.join("samples.png"), &samples, 28, 8, 2)
    })
}
