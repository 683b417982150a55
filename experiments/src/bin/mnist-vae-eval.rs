//! Evaluates a model trained by `mnist-vae`: its test NLL by annealed importance sampling
//! (paper-spec §4.6: 16 chains per image, 1000 sigmoid-spaced temperatures, HMC in R^nz,
//! Riemannian Langevin + Metropolis-Hastings on S^nz, adaptive step), on the first
//! --test-images images of the MNIST test set (the same images for every model; the paper:
//! 9,984), binarised once with a seed derived from the run's; and PNG grids of
//! reconstructions and prior samples. Batches of images are saved as they finish, so a killed
//! evaluation resumes where it stopped. Fills the run's row of
//! `<out>/mnist-vae/summary.json`.

use anyhow::{Result, bail};
use clap::Parser;
use mvl_ae::ais::DatasetEstimate;
use mvl_ae::data::{Mnist, binarize, default_dir};
use mvl_ae::{ais_for, test_log_likelihood};
use mvl_experiments::cli::CommonArgs;
use mvl_experiments::images::image_grid;
use mvl_experiments::mnist::{AisProgress, Evaluation, Row, SpecArgs, build, load_params};
use mvl_experiments::output::{progress, write_json};
use mvl_experiments::rows::Rows;
use mvl_train::seed::{Stream, derive};
use std::path::{Path, PathBuf};

/// AIS test NLL and image grids of a trained MNIST VAE (paper Table 1).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Output root (as given to mnist-vae), device, threads; --quick: 128 images, 100
    /// temperatures (a smoke run, not the protocol).
    #[command(flatten)]
    common: CommonArgs,
    /// The run (the flags given to mnist-vae).
    #[command(flatten)]
    run: SpecArgs,
    /// AIS chains per image.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(2..))]
    chains: u64,
    /// AIS inverse temperatures [default: 1000; 100 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..))]
    temps: Option<u64>,
    /// Test images: the first M of the test set [default: 9984, the paper's; 128 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10000))]
    test_images: Option<u64>,
    /// Images per AIS batch (all chains of a batch run together).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..))]
    batch: u64,
    /// Folder of the MNIST IDX files [default: $MVL_MNIST, else the setup cache].
    #[arg(long)]
    data: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let spec = args.run.spec()?;
    let quick = args.common.quick;
    let temps = args
        .temps
        .map_or(if quick { 100 } else { 1000 }, |t| t as usize);
    let m = args
        .test_images
        .map_or(if quick { 128 } else { 9984 }, |m| m as usize);
    let chains = args.chains as usize;
    let device = args.common.init();
    let dir = args.common.results_dir("mnist-vae")?;
    let run_dir = spec.dir(&dir);
    let summary = dir.join("summary.json");
    let Some(row) = Rows::<Row>::load(&summary)?.get(&spec).cloned() else {
        bail!(
            "{} has no trained run {}: train it with mnist-vae first",
            summary.display(),
            spec.name()
        );
    };
    let data = Mnist::load(&args.data.clone().unwrap_or_else(default_dir))?;
    let mut built = build(&spec, 1e-3, device)?;
    load_params(&mut built, &run_dir)?;
    let decoder = built.model.decoder();
    tch::manual_seed(derive(
        spec.seed,
        Stream::Purpose("mnist-vae-eval binarisation"),
    ));
    let x = binarize(&data.test_subset(m)).to_device(device);
    grids(&run_dir, &built.model, &x)?;
    let ais = ais_for(decoder, chains, temps)?;
    let partial_path = AisProgress::path(&run_dir, m, chains, temps);
    let mut partial = AisProgress::load(&partial_path)?;
    let batch = args.batch as usize;
    let mut bar = progress(
        (m.div_ceil(batch) * (temps - 1)) as u64,
        &format!("AIS {}", spec.name()),
    );
    bar.set_position((partial.images.len().div_ceil(batch) * (temps - 1)) as u64);
    while partial.images.len() < m {
        let (start, clock) = (partial.images.len(), std::time::Instant::now());
        let n = batch.min(m - start);
        tch::manual_seed(derive(
            spec.seed,
            Stream::Purpose(&format!("ais batch {start}")),
        ));
        let mut last = 0;
        let run = test_log_likelihood(
            &ais,
            decoder,
            &x.narrow(0, start as i64, n as i64),
            10,
            &mut |p| {
                bar.set_message(format!(
                    "step {:.4} acceptance {:.2}",
                    p.step, p.running_acceptance
                ));
                bar.inc((p.done - last) as u64);
                last = p.done;
            },
        )?;
        partial.images.extend(run.images);
        partial.seconds += clock.elapsed().as_secs_f64();
        write_json(&partial_path, &partial)?;
    }
    let estimate = DatasetEstimate::from_images(&partial.images)?;
    let evaluation = Evaluation {
        test_images: m,
        chains,
        temps,
        nll: -estimate.mean,
        nll_se: estimate.std_error,
        nll_ais_se: estimate.ais_std_error,
        eval_seconds: partial.seconds,
    };
    Rows::update(&summary, |rows| {
        rows.upsert(Row {
            evaluation: Some(evaluation),
            ..row
        });
    })?;
    println!(
        "{}: test NLL {:.2} ± {:.2} (over images) ± {:.2} (AIS) nats, {m} images, {chains} chains, {temps} temperatures, {:.0} s",
        spec.name(),
        evaluation.nll,
        evaluation.nll_se.unwrap_or(f64::NAN),
        evaluation.nll_ais_se,
        evaluation.eval_seconds
    );
    Ok(())
}

/// `reconstructions.png` (rows of 8 test images, each followed by its reconstruction's
/// Bernoulli means) and `samples.png` (64 decodings of prior draws).
fn grids(run_dir: &Path, model: &mvl_experiments::mnist::Model, x: &tch::Tensor) -> Result<()> {
    tch::no_grad(|| -> Result<()> {
        let decoder = model.decoder();
        let shown = x.narrow(0, 0, x.size()[0].min(32));
        let z = model.encode(&shown)?;
        let recon = decoder.decode(&z)?.sigmoid();
        let pairs = tch::Tensor::stack(&[&shown, &recon], 1).view([-1, 784]);
        image_grid(&run_dir.join("reconstructions.png"), &pairs, 28, 16, 2)?;
        let prior = decoder.latent().prior()?.sample(64, (x.kind(), x.device()));
        let samples = decoder.decode(&prior)?.sigmoid();
        image_grid(&run_dir.join("samples.png"), &samples, 28, 8, 2)
    })
}
