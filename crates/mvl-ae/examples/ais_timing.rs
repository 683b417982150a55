//! Times AIS at the size of the paper's MNIST evaluation (paper-spec §4.2, §4.6): a decoder
//! nz → 256 → 256 → 784 (tanh) with random weights, Bernoulli pixels, 16 chains per image,
//! f32, and extrapolates from a short run to the paper's 999 transitions.
//!
//! `cargo run --release -p mvl-ae --example ais_timing -- [images] [transitions] [euc|sph]
//! [threads]` (defaults 16, 40, euc, 1). With `sph` the latents live on S^8 ⊂ R^9 and the
//! decoder sees √9·y; with `euc` on R^8.

use mvl_ae::ais::{Ais, Prior};
use std::time::Instant;
use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or(default.to_owned());
    let images: i64 = arg(0, "16").parse()?;
    let transitions: usize = arg(1, "40").parse()?;
    let sphere = arg(2, "euc") == "sph";
    tch::set_num_threads(arg(3, "1").parse()?);
    tch::manual_seed(0);
    let chains = 16;
    let (prior, input, scale) = if sphere {
        (Prior::uniform_sphere(8)?, 9, 3.0)
    } else {
        (Prior::standard_normal(8)?, 8, 1.0)
    };
    let mut vs = nn::VarStore::new(Device::Cpu);
    let p = vs.root();
    let decoder = nn::seq()
        .add(nn::linear(&p / "fc1", input, 256, Default::default()))
        .add_fn(|x| x.tanh())
        .add(nn::linear(&p / "fc2", 256, 256, Default::default()))
        .add_fn(|x| x.tanh())
        .add(nn::linear(&p / "fc3", 256, 784, Default::default()));
    vs.freeze();
    let x = Tensor::rand([images, 784], (Kind::Float, Device::Cpu))
        .gt(0.8)
        .to_kind(Kind::Float);
    let xs = x.repeat([chains, 1]);
    let log_lik = |z: &Tensor| {
        -decoder
            .forward(&(z * scale))
            .binary_cross_entropy_with_logits::<Tensor>(&xs, None, None, tch::Reduction::None)
            .sum_dim_intlist(-1, false, Kind::Float)
    };
    let ais = Ais::new(prior, chains as usize, transitions + 1)?;
    let start = Instant::now();
    let run = ais.run(&log_lik, images as usize, (Kind::Float, Device::Cpu))?;
    let secs = start.elapsed().as_secs_f64();
    let per_transition_image = secs / transitions as f64 / images as f64;
    println!(
        "{} latents, {images} images × {chains} chains, {transitions} transitions: {secs:.2} s \
         ({:.2} ms per transition per image; mean acceptance {:.2}, final step {:.4})",
        if sphere { "S^8" } else { "R^8" },
        per_transition_image * 1e3,
        run.mean_acceptance,
        run.final_step
    );
    println!(
        "extrapolated to 999 transitions: {:.1} s per image, {:.0} s per batch of 128",
        per_transition_image * 999.0,
        per_transition_image * 999.0 * 128.0
    );
    Ok(())
}
