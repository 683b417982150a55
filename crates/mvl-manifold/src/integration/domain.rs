//! The domains the crate integrates over: each has a family of grids indexed by a resolution.

use super::grid::{Grid, check_radius};
use crate::error::{ManifoldError, Result};
use crate::manifold::Manifold;
use crate::poincare::PoincareBall;
use crate::sphere::Sphere;

/// A manifold (or a region of one) with a family of quadrature grids indexed by a resolution
/// n ≥ 1: n nodes along one coordinate and 2n along the other (for the circle: 2n), so that
/// doubling n halves the spacing everywhere ([`super::converged_log_z`] relies on it).
///
/// Implemented for [`Sphere`] of dimension 1 and 2 and for [`GeodesicDisk`] (a truncated
/// Poincaré disk, since H² has infinite volume and a grid must stop somewhere).
pub trait Quadrature: std::fmt::Debug + Send {
    /// The grid of resolution `n`.
    ///
    /// Errors: `InvalidArgument` for n = 0 and for grids larger than [`Grid::MAX_POINTS`]
    /// points; `UnsupportedDimension` where the domain has no grid (spheres of dimension
    /// above 2).
    fn grid(&self, n: usize) -> Result<Grid>;
}

/// Rejects resolution 0.
fn check_resolution(n: usize) -> Result<()> {
    if n == 0 {
        return Err(ManifoldError::InvalidArgument {
            name: "resolution",
            value: 0.0,
            reason: "must be at least 1",
        });
    }
    Ok(())
}

/// S¹: [`Grid::circle`] with 2n points. S²: [`Grid::sphere2`] with n Gauss-Legendre
/// colatitudes × 2n longitudes. Other dimensions: `UnsupportedDimension`.
impl Quadrature for Sphere {
    fn grid(&self, n: usize) -> Result<Grid> {
        check_resolution(n)?;
        match self.dim() {
            1 => Grid::circle(n.saturating_mul(2)),
            2 => Grid::sphere2(n, n.saturating_mul(2)),
            got => Err(ManifoldError::UnsupportedDimension {
                what: "Sphere quadrature",
                supported: "1 or 2",
                got,
            }),
        }
    }
}

/// The geodesic disk {ρ ≤ R} about the origin of the hyperbolic plane H² in the Poincaré
/// disk model ([`PoincareBall`] of dimension 2). Integrals over H² are truncated to it: a
/// density that decays like e^{−aρ} (a > 1) loses a fraction of order e^{−(a−1)R}.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeodesicDisk {
    radius: f64,
}

impl GeodesicDisk {
    /// The disk of geodesic radius `radius` in `ball`.
    ///
    /// Errors: `UnsupportedDimension` unless `ball` is H²; `InvalidArgument` unless
    /// 1e-100 ≤ radius ≤ 36 (as [`Grid::poincare_disk`]).
    pub fn new(ball: &PoincareBall, radius: f64) -> Result<Self> {
        if ball.dim() != 2 {
            return Err(ManifoldError::UnsupportedDimension {
                what: "GeodesicDisk",
                supported: "2",
                got: ball.dim(),
            });
        }
        check_radius("radius", radius)?;
        Ok(Self { radius })
    }

    /// The geodesic radius R.
    pub fn radius(&self) -> f64 {
        self.radius
    }
}

/// [`Grid::poincare_disk`] with n Gauss-Legendre radii in [0, R] × 2n angles.
impl Quadrature for GeodesicDisk {
    fn grid(&self, n: usize) -> Result<Grid> {
        check_resolution(n)?;
        Grid::poincare_disk(n, n.saturating_mul(2), self.radius)
    }
}
