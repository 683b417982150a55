//! Quadrature grids: points of a manifold with weights for its Riemannian volume.

use super::rule::gauss_legendre;
use crate::error::{ManifoldError, Result};
use std::f64::consts::PI;
use tch::{Device, Kind, Tensor};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// Points of a manifold with quadrature weights for its Riemannian volume, f64 on the CPU.
///
/// ∫ f dvol ≈ Σᵢ wᵢ f(yᵢ). Counts of nodes are `usize`; a zero count gives an empty grid,
/// on which every [`Grid::log_integral`] is −∞ (the integral over nothing is 0). A grid has
/// at most [`Grid::MAX_POINTS`] points: larger counts are `InvalidArgument` errors, not an
/// allocation failure.
///
/// ```
/// use mvl_manifold::integration::Grid;
/// use tch::Kind;
/// // ∫ exp(κ μᵀy) dA = 4π sinh κ/κ on S² (κ = 5, μ = e₃).
/// let grid = Grid::sphere2(20, 40)?;
/// let log_q = grid.points.select(1, 2) * 5.0;
/// let exact = (4.0 * std::f64::consts::PI * 5f64.sinh() / 5.0).ln();
/// assert!((grid.log_integral(&log_q)? - exact).abs() < 1e-12);
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
#[derive(Debug)]
pub struct Grid {
    /// `[N, n]` ambient points.
    pub points: Tensor,
    /// `[N]` weights; they sum to the volume of the (covered part of the) manifold.
    pub weights: Tensor,
}

/// `n` angles −π + (i + ½)2π/n.
fn angles(n: usize) -> Tensor {
    let step = 2.0 * PI / n as f64;
    (Tensor::arange(n as i64, F64) + 0.5) * step - PI
}

/// Rows `[a, b]` of a tensor product: `outer` (length a) and `inner` (length b) flattened
/// latitude-major, with the weights `w_outer[i]·w_inner` (`w_inner` a constant).
fn flatten_product(coords: &[Tensor], w_outer: &Tensor, w_inner: f64, b: usize) -> Grid {
    let a = w_outer.size()[0];
    let flat: Vec<Tensor> = coords.iter().map(|c| c.flatten(0, 1)).collect();
    Grid {
        points: Tensor::stack(&flat, 1),
        weights: (w_outer.unsqueeze(1) * w_inner)
            .expand([a, b as i64], false)
            .flatten(0, 1),
    }
}

/// Fails unless every count and their product are at most [`Grid::MAX_POINTS`]; `names`
/// names the counts and their product in the error (e.g. "n_theta × n_phi").
fn check_counts(names: &'static str, counts: &[usize]) -> Result<()> {
    let product = counts.iter().map(|&c| c as f64).product::<f64>();
    if counts.iter().all(|&c| c <= Grid::MAX_POINTS) && product <= Grid::MAX_POINTS as f64 {
        return Ok(());
    }
    let largest = counts.iter().copied().max().unwrap_or(0) as f64;
    Err(ManifoldError::InvalidArgument {
        name: names,
        value: product.max(largest),
        reason: "a grid has at most Grid::MAX_POINTS = 2^25 points (and nodes per axis)",
    })
}

/// The geodesic radii R of hyperbolic disks with a grid: up to 36, where tanh(R/2) is still
/// below 1 in f64 (beyond, points fall on the boundary circle and weights overflow), and from
/// 1e-100, where the weights ~R² still have their digits (they underflow below ~1e-154).
pub(crate) fn check_radius(name: &'static str, radius: f64) -> Result<()> {
    if (1e-100..=36.0).contains(&radius) {
        return Ok(());
    }
    Err(ManifoldError::InvalidArgument {
        name,
        value: radius,
        reason: "must lie in [1e-100, 36] (beyond 36, tanh(R/2) rounds to 1 in f64)",
    })
}

impl Grid {
    /// The most points (and nodes along one axis) a grid may have: 2²⁵ ≈ 3.4·10⁷, 0.8 GB of
    /// f64 points on S² (resolution 4096 of [`super::Quadrature`] on S²).
    pub const MAX_POINTS: usize = 1 << 25;

    /// `n` equally spaced points on S¹ ⊂ R² (angles −π + (i + ½)2π/n), weights 2π/n: the
    /// trapezoid rule, spectrally accurate for smooth periodic integrands.
    ///
    /// Errors: `InvalidArgument` for n above [`Grid::MAX_POINTS`].
    pub fn circle(n: usize) -> Result<Grid> {
        check_counts("n", &[n])?;
        let theta = angles(n);
        Ok(Grid {
            points: Tensor::stack(&[theta.cos(), theta.sin()], 1),
            weights: Tensor::full([n as i64], 2.0 * PI / n as f64, F64),
        })
    }

    /// S² ⊂ R³: Gauss-Legendre in cos θ (`n_theta` nodes) × `n_phi` uniform longitudes
    /// −π + (j + ½)2π/n_φ; rows latitude-major (all longitudes of the first colatitude,
    /// then the next). Converges spectrally for smooth integrands: a vMF of concentration κ
    /// needs about n_θ = 3√κ nodes for 1e-6 in log Z (a plain latitude-longitude midpoint
    /// grid needs 10-100× more points).
    ///
    /// Errors: `InvalidArgument` for n_θ above [`super::MAX_GAUSS_LEGENDRE_NODES`] or more
    /// than [`Grid::MAX_POINTS`] points.
    pub fn sphere2(n_theta: usize, n_phi: usize) -> Result<Grid> {
        check_counts("n_theta × n_phi", &[n_theta, n_phi])?;
        let (nodes, w) = gauss_legendre(n_theta)?;
        let cos_t = Tensor::from_slice(&nodes);
        let phi = angles(n_phi);
        let sin_t = (-cos_t.square() + 1.0).sqrt();
        let x = sin_t.unsqueeze(1) * phi.cos().unsqueeze(0);
        let y = sin_t.unsqueeze(1) * phi.sin().unsqueeze(0);
        let z = cos_t
            .unsqueeze(1)
            .expand([n_theta as i64, n_phi as i64], false);
        let step = 2.0 * PI / n_phi as f64;
        Ok(flatten_product(
            &[x, y, z],
            &Tensor::from_slice(&w),
            step,
            n_phi,
        ))
    }

    /// The geodesic disk of radius `rho_max` about the origin of the hyperbolic plane H² in
    /// the Poincaré disk: Gauss-Legendre in the geodesic radius ρ ∈ [0, ρ_max] (`n_rho`
    /// nodes) × `n_phi` angles (j + ½)2π/n_φ; volume element sinh ρ dρ dφ, points
    /// tanh(ρ/2)(cos φ, sin φ).
    ///
    /// Errors: `InvalidArgument` unless 1e-100 ≤ ρ_max ≤ 36 (beyond 36, tanh(ρ/2) rounds to 1
    /// in f64 and the points would lie on the boundary circle), for n_ρ above
    /// [`super::MAX_GAUSS_LEGENDRE_NODES`] and for more than [`Grid::MAX_POINTS`] points.
    pub fn poincare_disk(n_rho: usize, n_phi: usize, rho_max: f64) -> Result<Grid> {
        check_radius("rho_max", rho_max)?;
        check_counts("n_rho × n_phi", &[n_rho, n_phi])?;
        let (nodes, w) = gauss_legendre(n_rho)?;
        let rho = (Tensor::from_slice(&nodes) + 1.0) * (rho_max / 2.0);
        let w_rho = Tensor::from_slice(&w) * (rho_max / 2.0) * rho.sinh();
        let step = 2.0 * PI / n_phi as f64;
        let phi = (Tensor::arange(n_phi as i64, F64) + 0.5) * step;
        let r = (&rho / 2.0).tanh();
        let x = r.unsqueeze(1) * phi.cos().unsqueeze(0);
        let y = r.unsqueeze(1) * phi.sin().unsqueeze(0);
        Ok(flatten_product(&[x, y], &w_rho, step, n_phi))
    }

    /// The centres of a `rows × cols` latitude-longitude map of S² ⊂ R³ (equirectangular
    /// cells of 180°/rows × 360°/cols): rows from north to south, columns from −180° east;
    /// points (cos φ cos λ, cos φ sin λ, sin φ) for latitude φ and longitude λ. Weights are
    /// the midpoint rule's cell areas cos φ Δφ Δλ (second-order accurate: for plotting, use
    /// [`Grid::sphere2`] to integrate).
    ///
    /// Errors: `InvalidArgument` for more than [`Grid::MAX_POINTS`] points.
    pub fn lon_lat(rows: usize, cols: usize) -> Result<Grid> {
        check_counts("rows × cols", &[rows, cols])?;
        let (r, c) = (rows as i64, cols as i64);
        let lat = ((Tensor::arange(r, F64) + 0.5) * (-180.0 / rows as f64) + 90.0)
            .deg2rad()
            .unsqueeze(1);
        let lon = ((Tensor::arange(c, F64) + 0.5) * (360.0 / cols as f64) - 180.0)
            .deg2rad()
            .unsqueeze(0);
        let x = lat.cos() * lon.cos();
        let y = lat.cos() * lon.sin();
        let z = lat.sin().expand([r, c], false);
        let w_lat = lat.squeeze_dim(1).cos() * (PI / rows as f64);
        Ok(flatten_product(
            &[x, y, z],
            &w_lat,
            2.0 * PI / cols as f64,
            cols,
        ))
    }

    /// The number of points N.
    pub(crate) fn len(&self) -> i64 {
        self.weights.size()[0]
    }

    /// Whether the grid has no points.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fails with `ShapeMismatch` unless `values` (named `what`) has shape `[N]`.
    pub(crate) fn check_values(&self, what: &'static str, values: &Tensor) -> Result<()> {
        if values.size() == [self.len()] {
            return Ok(());
        }
        Err(ManifoldError::ShapeMismatch {
            what,
            expected: format!("[{}] (one value per grid point)", self.len()),
            got: values.size(),
        })
    }

    /// ln Σᵢ wᵢ exp(log_q(yᵢ)) ≈ ln ∫ exp(log_q) dvol for the `[N]` values `log_q` at the
    /// points (any kind and device; computed in f64 by log-sum-exp).
    ///
    /// Non-finite results: −∞ on an empty grid or when every value is −∞; +∞ when a value is
    /// +∞ (or the sum overflows); NaN when a value is NaN.
    ///
    /// Errors: `ShapeMismatch` unless `log_q` has shape `[N]`.
    pub fn log_integral(&self, log_q: &Tensor) -> Result<f64> {
        self.check_values("log_q", log_q)?;
        Ok(
            (log_q.to_kind(Kind::Double).to_device(Device::Cpu) + self.weights.log())
                .logsumexp([0], false)
                .double_value(&[]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::row_norm_sq;

    fn total(g: &Grid) -> f64 {
        g.weights.sum(Kind::Double).double_value(&[])
    }

    #[test]
    fn areas_and_unit_points() {
        assert!((total(&Grid::circle(100).expect("valid")) - 2.0 * PI).abs() < 1e-12);
        let s2 = Grid::sphere2(12, 24).expect("valid");
        assert!((total(&s2) - 4.0 * PI).abs() < 1e-12);
        assert!(
            (row_norm_sq(&s2.points) - 1.0)
                .abs()
                .max()
                .double_value(&[])
                < 1e-15
        );
        // The midpoint rule in latitude sums to Σ h cos φᵢ = 2(h/2)/sin(h/2) (h = 1°), so the
        // area is 4π(h/2)/sin(h/2), 1.6e-4 above 4π.
        let map = Grid::lon_lat(180, 360).expect("valid");
        assert_eq!(map.points.size(), vec![180 * 360, 3]);
        let half = PI / 360.0;
        assert!((total(&map) - 4.0 * PI * half / half.sin()).abs() < 1e-12);
        assert!(
            (row_norm_sq(&map.points) - 1.0)
                .abs()
                .max()
                .double_value(&[])
                < 1e-15
        );
        // The first row is the northernmost, its first column the westernmost.
        let first = Vec::<f64>::try_from(map.points.get(0)).expect("f64 row");
        let (lat, lon) = (
            first[2].asin().to_degrees(),
            first[1].atan2(first[0]).to_degrees(),
        );
        assert!((lat - 89.5).abs() < 1e-9 && (lon + 179.5).abs() < 1e-9);
        // Area of the hyperbolic disk of radius R: 2π(cosh R − 1).
        let disk = Grid::poincare_disk(40, 8, 2.0).expect("valid radius");
        assert!((total(&disk) - 2.0 * PI * (2f64.cosh() - 1.0)).abs() < 1e-12);
        assert!(row_norm_sq(&disk.points).max().double_value(&[]) < 1.0);
    }

    /// In geodesic polar coordinates ∫ e^{−3ρ} dvol = 2π ∫₀^∞ e^{−3ρ} sinh ρ dρ = 2π/8; the
    /// grid's points must carry ρ = 2 artanh |x|.
    #[test]
    fn hyperbolic_integral_of_exp_minus_3_rho() {
        let h = Grid::poincare_disk(200, 16, 20.0).expect("valid radius");
        let rho = row_norm_sq(&h.points).sqrt().arctanh() * 2.0;
        let got = h.log_integral(&(rho * -3.0)).expect("[N]").exp();
        assert!((got - PI / 4.0).abs() < 1e-8, "{got}");
        for bad in [0.0, -1.0, 1e-101, 37.0, f64::INFINITY, f64::NAN] {
            assert!(matches!(
                Grid::poincare_disk(4, 4, bad),
                Err(ManifoldError::InvalidArgument {
                    name: "rho_max",
                    ..
                })
            ));
        }
    }
}
