//! Exact normalisation of the earth densities on S^2: the manifold crate's quadrature
//! ([`mvl_manifold::integration`]) bound to the unit sphere, as the training loop calls it.

use mvl_manifold::integration::Normaliser as GridNormaliser;
use mvl_manifold::{Energy, Sphere};
use tch::{Device, Kind};

pub use mvl_manifold::integration::nll;

/// The validation normaliser: the crate's [`GridNormaliser`] on S^2 with `n_theta`
/// Gauss-Legendre colatitudes × 2 `n_theta` longitudes, held in the training kind and device.
#[derive(Debug)]
pub struct Normaliser(GridNormaliser);

impl Normaliser {
    /// The grid of `n_theta` ≥ 1 colatitudes in `kind` on `device`.
    ///
    /// # Panics
    /// For `n_theta` = 0 (`earth-density` rejects `--val-n-theta 0`).
    pub fn new(n_theta: usize, kind: Kind, device: Device) -> Self {
        let s2 = Sphere::new(2).expect("invariant: S^2 is a valid sphere");
        let grid = GridNormaliser::new(&s2, n_theta, (kind, device));
        Self(grid.expect("invariant: n_theta >= 1 and S^2 has quadrature grids"))
    }

    /// ln ∫ exp(−E) dA on this grid.
    pub fn log_z(&self, energy: &dyn Energy) -> f64 {
        self.0.log_z(energy)
    }
}
