//! Gradient-flow samplers over libtorch, each exposing the noise term that the minimum velocity
//! learning (MVL) control variate needs (Wang et al., AISTATS 2020, §3-4).
//!
//! A [`GradientFlow`] makes one step of a time discretisation of the gradient flow of
//! KL(·‖q) towards q ∝ exp(−s·E). [`Step::diffusion`] is ⟨∇E(x), ξ⟩ for the step's
//! diffusion increment ξ, which `mvl-objectives` subtracts as a control variate.
//!
//! | flow | move | diffusion |
//! |---|---|---|
//! | [`Langevin`] (MALA with [`Langevin::metropolis`]) | x − εs∇E + ξ, ξ ~ N(0, 2εI) | ⟨∇E, ξ⟩ |
//! | [`RiemannianLangevin`] (any [`mvl_manifold::Manifold`]) | chart: x + εv + ξ, ξ ~ N(0, 2εG⁻¹) | ⟨∇ₓE, ξ⟩ |
//! | [`Svgd`] (flat or [`Svgd::on`] a manifold's chart) | x + εφ(x) | none |
//! | [`Spos`] | x + αεφ + (1 − α)εv + wξ | ⟨∇E, wξ⟩ |
//! | [`BirthDeathLangevin`] | Langevin move, then birth-death jumps | gathered ⟨∇E, ξ⟩ |
//!
//! Every flow works in chart coordinates of its input ([`Geometry`]: [`Flat`] space with the
//! identity chart, or a manifold), takes an energy scale s (s = ½ for minimum velocity
//! learning) and can rescale its step per row, εᵢ = ε / max(1, |·|²), with no gradient through
//! εᵢ, as the authors' code does. Gradients flow through `next` to the energy's parameters.
//! `testing::check_flow` (feature `testing`) is the conformance suite every flow passes.
//!
//! # Errors
//! One rule for every flow: the fallible entry points (constructors and builders,
//! [`GradientFlow::step`], [`GradientFlow::step_with`], [`GradientFlow::sample`] and the
//! birth-death [`BirthDeathLangevin::rates`] and [`BirthDeathLangevin::step_parts`]) check
//! their inputs and return a typed [`FlowError`] rather than panicking:
//! - a batch must be a floating-point `[b, n]` tensor with b ≥ 1 (an empty batch is refused by
//!   flat and manifold flows alike, [`FlowError::ShapeMismatch`]; an integer one is
//!   [`FlowError::UnsupportedKind`]), its width must match the energy's
//!   [`mvl_manifold::Energy::input_dim`] when the energy declares one, and on a manifold its
//!   rows must be points of it ([`FlowError::Manifold`]);
//! - the energy must return `[b]` values and `[b, n]` gradients; an energy of another floating
//!   kind than the points is evaluated as given and its results cast to the points' kind;
//! - a non-finite energy, gradient, drift or next point is [`FlowError::NonFinite`] (never a
//!   silent NaN); a Metropolis-Hastings proposal with a non-finite ratio is rejected instead;
//! - interacting flows on a manifold need one chart for the batch: [`FlowError::ChartUndefined`]
//!   when there is none (an antipodal pair on the sphere).
//!
//! An energy that does not declare its width and panics on a batch (a closure, a network)
//! panics the step: the flows do not catch panics.
//!
//! ```
//! use mvl_flows::{GradientFlow, Langevin, Noise};
//! use mvl_manifold::GaussianEnergy;
//! use tch::{Device, Kind, Tensor};
//!
//! let opts = (Kind::Double, Device::Cpu);
//! let energy = GaussianEnergy::new(&Tensor::zeros([3], opts), 1.0)?;   // E = |x|²/2
//! let flow = Langevin::new(1e-3)?.energy_scale(0.5)?;                  // towards q^{1/2}
//! let x = Tensor::randn([4, 3], opts);
//! let noise = Noise { normal: Tensor::randn([4, 3], opts), uniform: Tensor::zeros([4, 0], opts) };
//! let step = flow.step_with(&energy, &x, &noise)?;
//! // next = x − ε·½·∇E + √(2ε)·z, and diffusion = ⟨∇E, √(2ε)·z⟩.
//! let expected = &x - &x * 0.5e-3 + &noise.normal * (2e-3f64).sqrt();
//! assert!((step.next - expected).abs().max().double_value(&[]) < 1e-12);
//! assert!(step.diffusion.is_some());
//! # Ok::<(), mvl_flows::FlowError>(())
//! ```

mod birth_death;
mod error;
mod flow;
mod geometry;
pub mod kernel;
mod langevin;
mod mh;
mod riemannian_langevin;
mod spos;
mod svgd;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;

pub use birth_death::{BirthDeathLangevin, BirthDeathStep, jump_sources, log_batch_density};
pub use error::{FlowError, Result};
pub use flow::{GradientFlow, Noise, Step, StepRule};
pub use geometry::{Flat, Geometry};
pub use langevin::Langevin;
pub use riemannian_langevin::RiemannianLangevin;
pub use spos::{Spos, SposNoise};
pub use svgd::Svgd;

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
