//! Prints what this build of the workspace sees: libtorch's location, whether CUDA is linked
//! and available, and the device the experiment binaries would choose.

use clap::Parser;

/// Reports the libtorch/CUDA set-up as JSON (exit status 0 on CPU-only machines too).
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Report the device as if `--cpu` were given to an experiment binary.
    #[arg(long)]
    cpu: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let mapped = |lib: &str| maps.lines().find(|l| l.contains(lib)).map(path_of);
    let device = mvl_experiments::device(args.cpu);
    let report = serde_json::json!({
        "libtorch_cpu": mapped("libtorch_cpu.so"),
        "libtorch_cuda": mapped("libtorch_cuda.so"),
        "cuda_available": tch::Cuda::is_available(),
        "cudnn_available": tch::Cuda::cudnn_is_available(),
        "cuda_device_count": tch::Cuda::device_count(),
        "device": format!("{device:?}"),
        "threads": tch::get_num_threads(),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// The file path at the end of a /proc/self/maps line.
fn path_of(line: &str) -> String {
    line.split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned()
}
