//! Integration on manifolds by quadrature: the Gauss-Legendre rule, grids on S¹, S², the
//! Poincaré disk and latitude-longitude maps, log Z = ln ∫ exp(−E) dvol of an energy with a
//! normaliser held in the energy's kind and device, NLLs, and comparisons of a learned
//! density with the true one.
//!
//! Every integral is a weighted sum over a [`Grid`] (f64 points on the CPU with weights for
//! the Riemannian volume). The grids converge spectrally for smooth integrands: the circle's
//! trapezoid rule for periodic ones, Gauss-Legendre in cos θ on S² (n_θ ≈ 3√κ colatitudes
//! resolve a von Mises-Fisher density of concentration κ to 1e-6 in log Z) and in the
//! geodesic radius on the hyperbolic disk. A [`Quadrature`] domain indexes its grids by a
//! resolution, which [`converged_log_z`] doubles until log Z stops changing.
//!
//! Energies are evaluated without gradients in chunks by [`energies`], the one evaluator used
//! by [`Normaliser`], [`nll`] and the experiments.
//!
//! ```
//! use mvl_manifold::integration::{Normaliser, converged_log_z, nll};
//! use mvl_manifold::{FnEnergy, Sphere};
//! use tch::{Device, Kind, Tensor};
//!
//! // E(y) = −κ μᵀy on S² (κ = 40): Z = 4π sinh κ/κ.
//! let mu = Tensor::from_slice(&[0.0f64, 0.6, 0.8]);
//! let energy = FnEnergy::new(move |y: &Tensor| y.matmul(&mu.to_kind(y.kind())) * -40.0);
//! let sphere = Sphere::new(2)?;
//! let cpu64 = (Kind::Double, Device::Cpu);
//! let exact = (4.0 * std::f64::consts::PI * 40f64.sinh() / 40.0).ln();
//! let z = converged_log_z(&energy, &sphere, cpu64, 8, 1e-10, 512)?;
//! assert!((z.value - exact).abs() < 1e-10);
//! // A grid held for repeated evaluations; NLL of the mean direction = −ln p(μ).
//! let fixed = Normaliser::new(&sphere, z.resolution, cpu64)?;
//! let at_mu = Tensor::from_slice(&[0.0f64, 0.6, 0.8]).view([1, 3]);
//! assert!((nll(&energy, &at_mu, fixed.log_z(&energy)?)? - (exact - 40.0)).abs() < 1e-9);
//! # Ok::<(), mvl_manifold::ManifoldError>(())
//! ```

mod compare;
mod domain;
mod grid;
mod normaliser;
mod rule;

pub use compare::{DensityComparison, compare};
pub use domain::{GeodesicDisk, Quadrature};
pub use grid::Grid;
pub use normaliser::{CHUNK_ROWS, LogZ, Normaliser, converged_log_z, energies, nll};
pub use rule::{MAX_GAUSS_LEGENDRE_NODES, gauss_legendre};

#[cfg(test)]
mod tests;
