//! Draws samples from a von Mises–Fisher distribution and writes them as a float64 `.npy`
//! array of shape [N, D] (e.g. for comparisons with SciPy's `vonmises_fisher`).

use anyhow::{Context, Result, bail};
use clap::Parser;
use mvl_manifold::{TensorDistribution, VonMisesFisher};
use ndarray::Array2;
use std::path::PathBuf;
use tch::{Kind, Tensor};

/// Samples vMF(μ, κ) on the unit sphere S^{D−1} ⊂ R^D and writes them to an .npy file
/// (float64, shape [N, D]).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Ambient dimension D ≥ 2 (D = 3 is the ordinary sphere S², D = 2 the circle).
    #[arg(long, allow_negative_numbers = true)]
    dim: i64,
    /// Concentration κ ≥ 0 (κ = 0 is the uniform distribution).
    #[arg(long, allow_negative_numbers = true)]
    kappa: f64,
    /// Number of samples N ≥ 0 (N·D at most 250,000,000).
    #[arg(long, allow_negative_numbers = true)]
    n: i64,
    /// Seed of libtorch's generator; the same seed gives the same samples on the same device.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Mean direction as D comma-separated numbers (normalised, any finite non-zero scale;
    /// default e₁ = 1,0,…,0).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    mu: Option<Vec<f64>>,
    /// Sample on the CPU even when CUDA is available (the output is float64 either way).
    #[arg(long)]
    cpu: bool,
    /// Output file (.npy, float64, shape [N, D]).
    #[arg(long)]
    out: PathBuf,
}

/// The most values (N·D) one invocation samples: each of its three copies is then 2 GB.
const MAX_VALUES: u128 = 250_000_000;

/// The mean direction: `--mu` checked against D, or e₁.
fn mean_direction(args: &Args) -> Result<Vec<f64>> {
    if args.dim < 2 {
        bail!("--dim must be at least 2 (got {})", args.dim);
    }
    match &args.mu {
        Some(mu) if mu.len() as i64 != args.dim => {
            bail!("--mu has {} entries but --dim is {}", mu.len(), args.dim)
        }
        Some(mu) => Ok(mu.clone()),
        None => Ok((0..args.dim)
            .map(|i| if i == 0 { 1.0 } else { 0.0 })
            .collect()),
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.n < 0 {
        bail!("--n must be >= 0 (got {})", args.n);
    }
    let mu = mean_direction(&args)?;
    // The samples, their float64 copy and the host array each hold N·D values.
    let values = (args.n as u128) * (args.dim as u128);
    if values > MAX_VALUES {
        bail!(
            "--n {} × --dim {} = {values} values is more than this tool writes at once \
             ({MAX_VALUES}, 2 GB of float64): write several files with different --seed",
            args.n,
            args.dim
        );
    }
    mvl_experiments::seed(args.seed);
    let device = mvl_experiments::device(args.cpu);
    let loc = Tensor::from_slice(&mu)
        .view([1, args.dim])
        .to_device(device);
    let kappa = Tensor::from_slice(&[args.kappa]).to_device(device);
    let vmf = VonMisesFisher::new(&loc, &kappa)
        .with_context(|| format!("invalid parameters --kappa {} --mu {mu:?}", args.kappa))?;
    let x = vmf
        .sample(args.n)
        .view([args.n, args.dim])
        .to_kind(Kind::Double)
        .to_device(tch::Device::Cpu);
    let flat =
        Vec::<f64>::try_from(&x.flatten(0, -1)).context("copying the samples to the host")?;
    let array = Array2::from_shape_vec((args.n as usize, args.dim as usize), flat)?;
    ndarray_npy::write_npy(&args.out, &array)
        .with_context(|| format!("writing {}", args.out.display()))?;
    Ok(())
}
