//! Speed of the MNIST VAE workloads (issue 13): one training iteration of the implicit VAE
//! on S^nz (autoencoder phase + energy phase, batch 128, f32, CPU) and one AIS transition on
//! images × chains latents (S^nz: 5 Riemannian Langevin + MH steps; R^nz: HMC with 11
//! leapfrog position updates). `scripts/bench_vae` runs it against the same arithmetic in
//! PyTorch (`scripts/bench_vae_pytorch.py`), which prints the same JSON.

use anyhow::{Result, bail};
use clap::Parser;
use mvl_experiments::mnist::Latent;
use mvl_experiments::speed::{Reps, Sizes, time_ais, time_training};

/// Times the implicit VAE's training iteration and AIS transitions (median and quartiles
/// over the timed repetitions, after untimed warm-up ones) and prints a summary, or JSON
/// with `--json`.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Workloads, comma-separated: train (the training iteration on S^nz), ais-sph (AIS
    /// transition on S^nz), ais-euc (AIS transition on R^nz).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "train,ais-sph,ais-euc"
    )]
    parts: Vec<Part>,
    /// Latent dimension nz (S^nz ⊂ R^{nz+1} on the sphere; encoder noise width nz too).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(i64).range(1..))]
    nz: i64,
    /// Training batch size.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(i64).range(1..))]
    batch: i64,
    /// Timed training iterations.
    #[arg(long, default_value_t = 30)]
    reps: usize,
    /// Untimed warm-up training iterations before them.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// AIS images per batch (each with --chains chains).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(i64).range(1..))]
    images: i64,
    /// AIS chains per image.
    #[arg(long, default_value_t = 16)]
    chains: usize,
    /// Timed AIS transitions per geometry.
    #[arg(long, default_value_t = 8)]
    ais_reps: usize,
    /// Untimed warm-up AIS transitions before them (≥ 1: the first includes the set-up).
    #[arg(long, default_value_t = 2)]
    ais_warmup: usize,
    /// libtorch intra-op threads (default: libtorch's choice, one per core).
    #[arg(long)]
    threads: Option<i32>,
    /// Print one JSON object (as scripts/bench_vae_pytorch.py does) instead of a summary.
    #[arg(long)]
    json: bool,
}

/// A workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    /// One training iteration (autoencoder + energy phase) on S^nz.
    Train,
    /// One AIS transition on S^nz (Riemannian Langevin + MH).
    AisSph,
    /// One AIS transition on R^nz (HMC).
    AisEuc,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.reps == 0 || args.ais_reps == 0 || args.ais_warmup == 0 {
        bail!("--reps, --ais-reps and --ais-warmup must be at least 1");
    }
    mvl_train::keep_freed_memory();
    if let Some(t) = args.threads {
        tch::set_num_threads(t);
    }
    let sizes = Sizes {
        nz: args.nz,
        batch: args.batch,
        images: args.images,
        chains: args.chains,
    };
    let mut out = serde_json::json!({
        "side": "rust",
        "workload": "implicit VAE on MNIST sizes, f32, CPU (issue 13)",
        "threads": tch::get_num_threads(),
        "sizes": sizes,
    });
    for part in &args.parts {
        let (key, value) = match part {
            Part::Train => {
                let reps = Reps {
                    warmup: args.warmup,
                    timed: args.reps,
                };
                let t = time_training(sizes, reps)?;
                if !args.json {
                    eprintln!(
                        "train iteration {:.2} ms (IQR {:.2}-{:.2}): autoencoder {:.2} ms, \
                         energy {:.2} ms ({:.0} % of the iteration)",
                        t.iteration.median_ms,
                        t.iteration.q1_ms,
                        t.iteration.q3_ms,
                        t.autoencoder.median_ms,
                        t.energy.median_ms,
                        100.0 * t.energy_share
                    );
                }
                ("train", serde_json::to_value(t)?)
            }
            Part::AisSph | Part::AisEuc => {
                let (latent, key) = match part {
                    Part::AisSph => (Latent::Sph, "ais_sph"),
                    _ => (Latent::Euc, "ais_euc"),
                };
                let reps = Reps {
                    warmup: args.ais_warmup,
                    timed: args.ais_reps,
                };
                let t = time_ais(latent, sizes, reps)?;
                if !args.json {
                    eprintln!(
                        "{key} transition {:.1} ms (IQR {:.1}-{:.1}), acceptance {:.2}",
                        t.transition.median_ms,
                        t.transition.q1_ms,
                        t.transition.q3_ms,
                        t.mean_acceptance
                    );
                }
                (key, serde_json::to_value(t)?)
            }
        };
        out[key] = value;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}
