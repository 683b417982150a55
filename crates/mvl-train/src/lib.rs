//! Training machinery for energy-based models over libtorch: optimisers whose state can be
//! saved (RMSProp exactly as TensorFlow 1 defines it, as the paper's code used, and Adam), a
//! training loop kept apart from the step it repeats, observers (parameter averages, early
//! stopping on a validation score, progress) and atomic checkpoints with exact resumption.
//!
//! A run killed at any moment and started again with the same configuration continues from
//! its last checkpoint and ends with the same parameters, bit for bit, as an uninterrupted
//! run; a checkpoint that is damaged or belongs to another configuration is a typed error,
//! never a silent fresh start; a non-finite loss ends the run with an error and leaves the
//! last good checkpoint in place. Models with several parameter groups, each with its own
//! loss and optimiser (an auto-encoder and the energy that supplies its entropy gradient),
//! train with [`train_groups`].
//!
//! ```
//! use mvl_manifold::FnEnergy;
//! use mvl_objectives::{MinimumVelocity, Objective};
//! use mvl_train::{OptimizerConfig, TrainConfig, train};
//! use tch::{Device, Kind, Tensor, nn};
//!
//! // Learn the mean of a Gaussian energy E(x) = |x − μ|²/2 by minimum velocity learning.
//! let mut vs = nn::VarStore::new(Device::Cpu);
//! let mu = vs.root().zeros("mu", &[2]);
//! let config = TrainConfig {
//!     label: "gaussian".into(),
//!     iterations: 300,
//!     optimizer: OptimizerConfig::adam(0.05),
//!     seed: Some(0),
//!     checkpoint_every: 100,
//!     extra: serde_json::json!({}),
//! };
//! let mvl = MinimumVelocity::langevin(1e-3)?;
//! let mut step = |_: usize| {
//!     let x = Tensor::randn([256, 2], (Kind::Float, Device::Cpu)) + Tensor::from_slice(&[1.0f32, -2.0]);
//!     let energy = FnEnergy::new(|x: &Tensor| (x - &mu).square().sum_dim_intlist(1, false, Kind::Float) / 2.0);
//!     mvl.loss(&energy, &x)
//! };
//! let log = train(&config, &mut vs, &mut step, &mut [], None)?;
//! assert_eq!(log.losses.len(), 300);
//! let got = Vec::<f32>::try_from(&mu)?;
//! assert!((got[0] - 1.0).abs() < 0.2 && (got[1] + 2.0).abs() < 0.2, "{got:?}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checkpoint;
mod error;
mod fused;
mod groups;
mod memory;
mod observers;
mod optim;
mod run;
pub mod seed;
#[cfg(test)]
mod test_support;
mod trainer;

pub use checkpoint::{Checkpoint, History, ObserverState, State};
pub use error::{Result, TrainError};
pub use groups::{GroupConfig, GroupsConfig, PhaseError, PhaseStep, train_groups};
pub use memory::keep_freed_memory;
pub use observers::{EarlyStopping, Ema, Evaluation};
pub use optim::{Adam, Optimizer, OptimizerConfig, TfRmsProp};
pub use trainer::{Control, Observer, Step, TrainConfig, TrainLog, train};

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
