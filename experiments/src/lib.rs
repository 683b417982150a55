//! Shared plumbing of the experiment binaries: device choice, seeding, output folders,
//! summaries, progress bars and plots.
//!
//! ```
//! let dev = mvl_experiments::device(true);
//! assert_eq!(dev, tch::Device::Cpu);
//! ```

pub mod cli;
pub mod density;
pub mod earth;
pub mod estimators;
pub mod figure1;
pub mod fixtures;
pub mod images;
pub mod mnist;
pub mod monitor;
pub mod nets;
pub mod output;
pub mod plot;
pub mod rows;
pub mod speed;
pub mod stats;
pub mod targets;
pub mod wae;

use tch::Device;

/// The device a binary runs on: CUDA when available unless `cpu` is set (the `--cpu` flag).
pub fn device(cpu: bool) -> Device {
    if cpu {
        Device::Cpu
    } else {
        Device::cuda_if_available()
    }
}

/// Seeds libtorch's generators (CPU and CUDA) once per binary.
pub fn seed(seed: u64) {
    // tch takes i64; seeds above i64::MAX wrap, which is still deterministic.
    tch::manual_seed(seed as i64);
}
