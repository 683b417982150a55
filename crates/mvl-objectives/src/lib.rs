//! Learning objectives for energy-based models q ∝ exp(−E): minimum velocity learning (MVL)
//! for any gradient flow, and the score-matching family it estimates (Wang et al., AISTATS
//! 2020, §3).
//!
//! Every [`Objective`] documents how its value relates to J_SM = E_p[½|∇E|² − ΔE], so values
//! are comparable across estimators; the consistency tests of the workspace check that each
//! estimator's mean (value and parameter gradient) matches exact score matching.
//!
//! ```
//! use mvl_manifold::GaussianEnergy;
//! use mvl_objectives::{MinimumVelocity, Objective, ScoreMatching};
//! use tch::{Device, Kind, Tensor};
//!
//! tch::manual_seed(0);
//! let opts = (Kind::Double, Device::Cpu);
//! let energy = GaussianEnergy::new(&Tensor::from_slice(&[1.0f64, -1.0]), 0.5)?;
//! let x = Tensor::randn([50_000, 2], opts);
//! let exact = ScoreMatching::euclidean(2)?.loss(&energy, &x)?.double_value(&[]);
//! let mvl = MinimumVelocity::langevin(1e-5)?.loss(&energy, &x)?.double_value(&[]);
//! // Same target up to O(ε) bias and Monte Carlo error (per-sample std ≈ 4.5 here).
//! assert!((exact - mvl).abs() < 0.1, "exact {exact} vs MVL {mvl}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod contrastive;
pub mod denoising;
pub mod error;
pub mod ksd;
pub mod minimum_velocity;
pub mod objective;
pub mod score_matching;
pub mod sliced;

pub use contrastive::ContrastiveDivergence;
pub use denoising::DenoisingScoreMatching;
pub use error::{ObjectiveError, Result};
pub use ksd::KernelStein;
pub use minimum_velocity::MinimumVelocity;
pub use mvl_flows::kernel::Bandwidth;
pub use objective::Objective;
pub use score_matching::ScoreMatching;
pub use sliced::{Projection, SlicedScoreMatching};

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
