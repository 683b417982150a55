//! Implicit auto-encoders whose entropy gradients come from a learned score (Wang et al.,
//! AISTATS 2020, §5): the encoder's aggregate or conditional distribution q(z) is only
//! sampled, and an energy E ≈ −log q trained by minimum velocity learning supplies
//! ∇_z log q.
//!
//! So far this crate holds the one piece every such model shares, the entropy-gradient
//! surrogate of paper eq. (19); the VAE/WAE training loops are not implemented yet.
//!
//! ```
//! use mvl_ae::entropy_surrogate;
//! use mvl_manifold::FnEnergy;
//! use tch::{Device, Kind, Tensor};
//!
//! // z = σ·ε with the exact energy of N(0, σ²) (its parameter held fixed): the surrogate's
//! // gradient with respect to σ is dH/dσ = 1/σ, the entropy gradient of N(0, σ²).
//! tch::manual_seed(0);
//! let sigma = Tensor::from(0.5f64).set_requires_grad(true);
//! let eps = Tensor::randn([100_000, 1], (Kind::Double, Device::Cpu));
//! let z = &eps * &sigma;
//! let energy = FnEnergy::new(|z: &Tensor| z.square().squeeze_dim(-1) / (2.0 * 0.25));
//! entropy_surrogate(&energy, &z).backward();
//! let grad = sigma.grad().double_value(&[]);
//! assert!((grad - 2.0).abs() < 0.05, "{grad}");
//! ```

pub mod ais;

use mvl_manifold::Energy;
use tch::Tensor;

/// A scalar whose gradient with respect to the parameters φ of a sampler z = g_φ(ε) is an
/// estimate of the gradient of the entropy H(q_φ) = −E_q log q_φ(z), given an energy
/// E ≈ −log q_φ + const (paper eq. 19):
///
/// ∇_φ H = −E_ε[∇_z log q(z) · ∂z/∂φ] ≈ E_ε[∇_z E(z) · ∂z/∂φ] = ∇_φ mean E(g_φ(ε)),
///
/// where only z carries φ (the energy's own parameters must not be updated with this
/// gradient: step only the sampler's optimiser). Its value is not the entropy.
///
/// # Shapes
/// `z`: `[b, d]` samples (with their graph to φ); result `[]`.
pub fn entropy_surrogate(energy: &dyn Energy, z: &Tensor) -> Tensor {
    let e = energy.energy(z);
    e.mean(e.kind())
}

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
