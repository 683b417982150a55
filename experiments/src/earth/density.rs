//! Exact normalisation of the earth densities on S^2: the manifold crate's quadrature
//! ([`mvl_manifold::integration`]) bound to the unit sphere, as the training loop calls it.

use mvl_manifold::integration::Normaliser as GridNormaliser;
use mvl_manifold::{Energy, Result, Sphere};
use tch::{Device, Kind};

pub use mvl_manifold::integration::nll;

/// The validation normaliser: the crate's [`GridNormaliser`] on S^2 with `n_theta`
/// Gauss-Legendre colatitudes × 2 `n_theta` longitudes, held in the training kind and device.
#[derive(Debug)]
pub struct Normaliser(GridNormaliser);

impl Normaliser {
    /// The grid of `n_theta` colatitudes in `kind` on `device`.
    ///
    /// Errors: those of [`GridNormaliser::new`] (`n_theta` = 0, a grid too large, an integer
    /// kind).
    pub fn new(n_theta: usize, kind: Kind, device: Device) -> Result<Self> {
        let s2 = Sphere::new(2)?;
        Ok(Self(GridNormaliser::new(&s2, n_theta, (kind, device))?))
    }

    /// ln ∫ exp(−E) dA on this grid.
    ///
    /// Errors: those of [`GridNormaliser::log_z`] (an energy of another width than 3).
    pub fn log_z(&self, energy: &dyn Energy) -> Result<f64> {
        self.0.log_z(energy)
    }
}
