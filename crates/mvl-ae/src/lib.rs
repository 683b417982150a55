//! Implicit auto-encoders whose entropy gradients come from a learned score (Wang et al.,
//! AISTATS 2020, §5): the encoder's conditional distribution q(z|x) is only sampled, and an
//! energy E(z|x) ≈ −ln q(z|x) trained by minimum velocity learning supplies ∇_z ln q
//! (paper eq. 19, [`entropy_surrogate`]).
//!
//! - [`data`]: MNIST from its IDX files (checksummed), dynamic binarisation, a resumable
//!   shuffled batch stream (paper-spec §4.1);
//! - [`nets`]: TF-initialised dense networks; [`latent`]: R^nz and S^nz latents, priors and
//!   the energy networks ⟨z, ψ(z[, x])⟩;
//! - [`implicit_vae`]: the implicit VAE (paper-spec §4.2-4.4), trained in two phases with
//!   [`mvl_train::train_groups`]; [`explicit_vae`]: the Gaussian and vMF baselines (§4.5);
//! - [`ais`]: annealed importance sampling of decoder-based models' test log-likelihood
//!   (HMC in R^nz, Riemannian Langevin with Metropolis-Hastings on S^nz, paper-spec §4.6),
//!   validated against exact marginals.
//!
//! # Errors
//! Entry points that take data or latents check them and return [`AeError`]: integer or
//! boolean tensors ([`AeError::UnsupportedKind`]), wrong ranks, widths or empty batches
//! ([`AeError::ShapeMismatch`]); floating-point inputs are converted to the networks' kind
//! and device. Non-finite data are not refused: they give non-finite losses, which the
//! training loops of mvl-train stop on ([`mvl_train::TrainError::NonFiniteLoss`]), and AIS
//! reports as [`ais::AisError::NonFinite`].
//!
//! ```
//! use mvl_ae::entropy_surrogate;
//! use mvl_manifold::{Euclidean, FnEnergy};
//! use tch::{Device, Kind, Tensor};
//!
//! // z = σ·ε with the exact energy of N(0, σ²) (its parameter held fixed): the surrogate's
//! // gradient with respect to σ is dH/dσ = 1/σ, the entropy gradient of N(0, σ²).
//! tch::manual_seed(0);
//! let sigma = Tensor::from(0.5f64).set_requires_grad(true);
//! let eps = Tensor::randn([100_000, 1], (Kind::Double, Device::Cpu));
//! let z = &eps * &sigma;
//! let energy = FnEnergy::new(|z: &Tensor| z.square().squeeze_dim(-1) / (2.0 * 0.25));
//! entropy_surrogate(&Euclidean::new(1)?, &energy, &z).backward();
//! let grad = sigma.grad().double_value(&[]);
//! assert!((grad - 2.0).abs() < 0.05, "{grad}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ais;
pub mod data;
mod decoder;
mod elbo;
mod entropy;
mod error;
pub mod explicit_vae;
pub mod implicit_vae;
pub mod latent;
pub mod nets;

pub use decoder::{Decoder, ais_for, test_log_likelihood};
pub use elbo::{Elbo, bernoulli_nll};
pub use entropy::{MvlFlow, entropy_surrogate, kl_to_prior, mvl_objective};
pub use error::{AeError, MNIST_HINT, Result};

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub mod fid;
pub mod lenet;
pub mod wae;
