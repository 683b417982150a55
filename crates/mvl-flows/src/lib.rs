//! Gradient-flow samplers over libtorch, each exposing the noise term that the minimum velocity
//! learning (MVL) control variate needs (Wang et al., AISTATS 2020, §3-4).
//!
//! A [`GradientFlow`] makes one step of a time discretisation of the gradient flow of
//! KL(·‖q) towards q ∝ exp(−s·E). [`Step::diffusion`] is ⟨∇E(x), ξ⟩ for the step's
//! diffusion increment ξ, which `mvl-objectives` subtracts as a control variate.
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

pub mod error;
pub mod flow;
pub mod langevin;

pub use error::{FlowError, Result};
pub use flow::{GradientFlow, Noise, Step, StepRule};
pub use langevin::Langevin;
