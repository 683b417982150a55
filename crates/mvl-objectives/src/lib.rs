//! Learning objectives for energy-based models q ∝ exp(−E): minimum velocity learning (MVL)
//! for any gradient flow, and the score-matching family it estimates (Wang et al., AISTATS
//! 2020, §3).
//!
//! Every [`Objective`] documents how its value relates to J_SM = E_p[½|∇E|² − ΔE], so values
//! are comparable across estimators; the consistency tests of the workspace check that each
//! estimator's mean (value and parameter gradient) matches exact score matching.
//!
//! A flow becomes an objective in one place: [`MinimumVelocity`] (the energy drop over one
//! step towards q^{1/2} plus the control variate, over any [`mvl_flows::GradientFlow`]), which
//! [`ContrastiveDivergence`] reuses with the proposal held fixed, and which
//! [`WassersteinFisherRao`] extends by the expected birth-death (Fisher-Rao) term.
//! `testing::check_objective` (feature `testing`) is the conformance suite every objective
//! passes.
//!
//! # Errors
//! One rule for every objective: constructors validate their parameters, and
//! [`Objective::per_sample`] and [`Objective::loss`] (and the objectives' other fallible
//! methods) check the batch before evaluating anything: a floating-point `[b, n]` tensor with
//! b, n ≥ 1 ([`ObjectiveError::BadBatch`], [`ObjectiveError::UnsupportedKind`]) whose width
//! matches the energy's [`mvl_manifold::Energy::input_dim`] when the energy declares one
//! ([`ObjectiveError::ShapeMismatch`]); sampler and geometry failures arrive as
//! [`ObjectiveError::Flow`] and [`ObjectiveError::Manifold`]. `loss` also turns a non-finite
//! term into [`ObjectiveError::NonFiniteLoss`] and a libtorch failure inside an energy that
//! declares no width into [`ObjectiveError::Energy`]; `per_sample` returns the terms as they
//! are (non-finite terms included, for variance studies) and lets such a failure panic.
//! Methods that return tensors (e.g. [`KernelStein::pair_matrix`]) document their
//! preconditions instead.
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

mod contrastive;
mod denoising;
mod error;
mod ksd;
mod minimum_velocity;
mod objective;
mod rate_density;
mod score_matching;
mod sliced;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
mod wfr;

pub use contrastive::ContrastiveDivergence;
pub use denoising::DenoisingScoreMatching;
pub use error::{ObjectiveError, Result};
pub use ksd::KernelStein;
pub use minimum_velocity::MinimumVelocity;
pub use objective::Objective;
pub use rate_density::{BatchKde, FnRateDensity, RateDensity, VmfKde};
pub use score_matching::ScoreMatching;
pub use sliced::{Projection, SlicedScoreMatching};
pub use wfr::WassersteinFisherRao;

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
