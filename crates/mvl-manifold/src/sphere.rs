//! The unit sphere S^n ⊂ R^{n+1} with the two-pole stereographic atlas.

use crate::chart::Chart;
use crate::error::{ManifoldError, Result};
use crate::manifold::{Manifold, check_batch, check_dim, first_true_row, tolerance};
use crate::metric::{Metric, row_dot, row_norm_sq};
use tch::{Kind, Tensor};

/// The unit sphere S^n = {y ∈ R^{n+1} : |y| = 1}.
///
/// Charts are stereographic projections from the pole opposite the point (paper-spec §2.2):
/// a point with y_{n+1} ≥ 0 is projected from −e_{n+1}, one with y_{n+1} < 0 from +e_{n+1}, so
/// every data point has chart norm ≤ 1 and the metric stays well conditioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sphere {
    n: i64,
}

impl Sphere {
    /// S^n for n ≥ 1 (ambient dimension n + 1).
    pub fn new(n: i64) -> Result<Self> {
        check_dim("Sphere", n, 1)?;
        Ok(Self { n })
    }

    /// The exponential map exp_y(v) = cos|v| y + sin|v| v/|v| for tangent `v` at `y`.
    pub fn exp(&self, y: &Tensor, v: &Tensor) -> Tensor {
        let norm = row_norm_sq(v).sqrt().unsqueeze(-1);
        // sin(t)/t with its limit 1 at t = 0.
        let sinc = norm.sinc_like();
        y * norm.cos() + v * sinc
    }

    /// The logarithm map log_y(z): the tangent vector at `y` pointing to `z` with length
    /// dist(y, z). Undefined (returns zeros' direction) at the antipode.
    pub fn log(&self, y: &Tensor, z: &Tensor) -> Tensor {
        let u = z - y * row_dot(y, z).unsqueeze(-1);
        let unorm = row_norm_sq(&u).sqrt().unsqueeze(-1);
        let theta = self.dist(y, z).unsqueeze(-1);
        // θ u/|u|, written as u·θ/sin θ (|u| = sin θ) which is stable near θ = 0.
        let ratio =
            (&theta / unorm.clamp_min(1e-300)).where_self(&unorm.gt(0.0), &theta.ones_like());
        u * ratio
    }

    /// The geodesic distance 2·atan2(|y − z|, |y + z|), accurate for near and far points.
    pub fn dist(&self, y: &Tensor, z: &Tensor) -> Tensor {
        let a = row_norm_sq(&(y - z)).sqrt();
        let b = row_norm_sq(&(y + z)).sqrt();
        a.atan2(&b) * 2.0
    }
}

/// sin(t)/t for tensors, equal to 1 at t = 0.
trait SincLike {
    fn sinc_like(&self) -> Tensor;
}

impl SincLike for Tensor {
    fn sinc_like(&self) -> Tensor {
        // torch's sinc is sin(πt)/(πt).
        (self / std::f64::consts::PI).sinc()
    }
}

/// A stereographic chart of S^n, chosen per row: `sign` is +1 where the chart projects from
/// −e_{n+1} and −1 where it projects from +e_{n+1} (it is the reflection y ↦ sign·y applied
/// before and after the projection).
///
/// Coordinates x = y'_{1..n}/(1 + y'_{n+1}) with y' = sign·y; embedding
/// y = sign·(2x, 1 − |x|²)/(1 + |x|²); metric G = 4/(1 + |x|²)² I (conformal).
#[derive(Debug)]
pub struct StereographicChart {
    n: i64,
    sign: Tensor,
}

impl StereographicChart {
    /// The per-row reflection sign, `[b, 1]`, ±1.
    pub fn sign(&self) -> &Tensor {
        &self.sign
    }
}

impl Chart for StereographicChart {
    fn dim(&self) -> i64 {
        self.n
    }

    fn coords(&self, y: &Tensor) -> Tensor {
        let y = y * &self.sign;
        y.narrow(1, 0, self.n) / (y.narrow(1, self.n, 1) + 1.0)
    }

    fn embed(&self, x: &Tensor) -> Tensor {
        let r = row_norm_sq(x).unsqueeze(-1);
        let denom = &r + 1.0;
        let first = x * 2.0 / &denom;
        let last = (1.0 - &r) / &denom;
        Tensor::cat(&[first, last], 1) * &self.sign
    }

    fn metric(&self, x: &Tensor) -> Metric {
        let r = row_norm_sq(x);
        Metric::Conformal {
            factor: 4.0 / (r + 1.0).square(),
            dim: self.n,
        }
    }

    /// Σⱼ ∂ⱼ g^{ij} = (1 + |x|²) xᵢ, from g^{ii} = (1 + |x|²)²/4 (paper-spec §2.2).
    fn inv_metric_div(&self, x: &Tensor) -> Tensor {
        x * (row_norm_sq(x).unsqueeze(-1) + 1.0)
    }

    /// ½ log det G = n (log 2 − log(1 + |x|²)).
    fn half_log_det(&self, x: &Tensor) -> Tensor {
        (std::f64::consts::LN_2 - (row_norm_sq(x) + 1.0).log()) * self.n as f64
    }

    fn half_log_det_grad(&self, x: &Tensor) -> Tensor {
        x * (-2.0 * self.n as f64) / (row_norm_sq(x).unsqueeze(-1) + 1.0)
    }
}

impl Manifold for Sphere {
    type Chart = StereographicChart;

    fn name(&self) -> String {
        format!("S^{}", self.n)
    }
    fn dim(&self) -> i64 {
        self.n
    }
    fn ambient_dim(&self) -> i64 {
        self.n + 1
    }
    fn project(&self, y: &Tensor) -> Tensor {
        y / row_norm_sq(y).sqrt().unsqueeze(-1).clamp_min(1e-300)
    }
    fn to_tangent(&self, y: &Tensor, v: &Tensor) -> Tensor {
        v - y * row_dot(y, v).unsqueeze(-1)
    }
    fn chart_at(&self, y: &Tensor) -> StereographicChart {
        let last = y.detach().narrow(1, self.n, 1);
        let sign = last.lt(0.0).to_kind(y.kind()) * -2.0 + 1.0;
        StereographicChart { n: self.n, sign }
    }
    fn check_points(&self, y: &Tensor) -> Result<()> {
        check_batch("Sphere", y, self.n + 1)?;
        let norm = row_norm_sq(y).to_kind(Kind::Double).sqrt();
        let off = (&norm - 1.0).abs().gt(tolerance(y.kind()));
        if let Some(row) = first_true_row(&off) {
            return Err(ManifoldError::OffManifold {
                manifold: "Sphere",
                row,
                detail: format!("norm {}, expected 1", norm.double_value(&[row])),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::ChartEnergy;
    use crate::energy::{Energy, FnEnergy};
    use crate::testing::{check_chart_energy, check_energy, check_manifold, devices};
    use tch::Device;

    const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

    fn points(m: &Sphere, b: i64) -> Tensor {
        m.project(&Tensor::randn([b, m.ambient_dim()], F64))
    }

    #[test]
    fn conformance_on_both_hemispheres() {
        let _seed = crate::testing::seeded(3);
        for n in [1, 2, 5] {
            let m = Sphere::new(n).expect("valid");
            let y = points(&m, 16);
            check_manifold(&m, &y, true);
            let e = FnEnergy::new(|y: &Tensor| (y.select(1, 0) * 3.0).sin() + y.select(1, n));
            for device in devices() {
                let y = y.to_device(device);
                let chart = m.chart_at(&y);
                assert!(chart.coords(&y).abs().max().double_value(&[]) <= 1.0 + 1e-12);
                check_chart_energy(&e, &chart, &chart.coords(&y));
                check_energy(&ChartEnergy::new(&e, &chart), &chart.coords(&y));
            }
        }
    }

    #[test]
    fn exp_log_dist_round_trip() {
        let _seed = crate::testing::seeded(4);
        let m = Sphere::new(2).expect("valid");
        let y = points(&m, 8);
        let v = m.to_tangent(&y, &(Tensor::randn([8, 3], F64) * 0.7));
        let z = m.exp(&y, &v);
        m.check_points(&z).expect("exp stays on the sphere");
        let back = m.log(&y, &z);
        assert!((&back - &v).abs().max().double_value(&[]) < 1e-10);
        let d = m.dist(&y, &z) - crate::metric::row_norm_sq(&v).sqrt();
        assert!(d.abs().max().double_value(&[]) < 1e-10);
        // exp with a zero tangent vector is the identity (no 0/0).
        let same = m.exp(&y, &y.zeros_like());
        assert!((same - &y).abs().max().double_value(&[]) < 1e-15);
    }

    /// ∫ over both hemispheres' chart balls of exp(−E_chart) = ∫_{S^n} q_H = 1 for a
    /// normalised q_H: the uniform density on S^1 (1/2π) and the vMF on S^2 with κ = 3,
    /// whose normaliser κ/(4π sinh κ) is closed form. Midpoint rule, smooth integrand.
    #[test]
    fn chart_densities_integrate_to_one() {
        let circle = Sphere::new(1).expect("valid");
        let uniform = FnEnergy::new(|y: &Tensor| y.select(1, 0).zeros_like() + (2.0 * PI).ln());
        let k = 20_000;
        let x = (Tensor::arange(k, F64) + 0.5) * (2.0 / k as f64) - 1.0;
        let total = hemisphere_integral(&circle, &uniform, &x.unsqueeze(-1), 2.0 / k as f64);
        assert!((total - 1.0).abs() < 1e-8, "S^1 total {total}");

        let s2 = Sphere::new(2).expect("valid");
        let kappa = 3.0_f64;
        let log_c = (kappa / (4.0 * PI * kappa.sinh())).ln();
        let mu = Tensor::from_slice(&[0.3f64, -0.5, 0.8]);
        let mu = &mu / mu.norm();
        let vmf = FnEnergy::new(move |y: &Tensor| -(y.matmul(&mu) * kappa) - log_c);
        let k = 600;
        let r = (Tensor::arange(k, F64) + 0.5) / k as f64;
        let phi = (Tensor::arange(k, F64) + 0.5) * (2.0 * PI / k as f64);
        let grid = Tensor::meshgrid_indexing(&[&r, &phi], "ij");
        let (r, phi) = (grid[0].flatten(0, 1), grid[1].flatten(0, 1));
        let x = Tensor::stack(&[&r * phi.cos(), &r * phi.sin()], 1);
        let weights = r * (1.0 / k as f64) * (2.0 * PI / k as f64);
        let total = weighted_hemispheres(&s2, &vmf, &x, &weights);
        assert!((total - 1.0).abs() < 1e-5, "S^2 total {total}");
    }

    const PI: f64 = std::f64::consts::PI;

    fn hemisphere_integral(m: &Sphere, e: &dyn Energy, x: &Tensor, w: f64) -> f64 {
        weighted_hemispheres(m, e, x, &(x.select(1, 0).ones_like() * w))
    }

    /// Σ over the two charts (poles) of Σᵢ wᵢ exp(−E_chart(xᵢ)) for chart points in the unit ball.
    fn weighted_hemispheres(m: &Sphere, e: &dyn Energy, x: &Tensor, w: &Tensor) -> f64 {
        let n = m.ambient_dim();
        [1.0, -1.0]
            .iter()
            .map(|pole| {
                let anchor = Tensor::zeros([x.size()[0], n], F64);
                let anchor = anchor.index_fill(1, &Tensor::from_slice(&[n - 1]), *pole);
                let chart = m.chart_at(&anchor);
                let ce = ChartEnergy::new(e, &chart);
                (ce.energy(x).neg().exp() * w)
                    .sum(Kind::Double)
                    .double_value(&[])
            })
            .sum()
    }

    #[test]
    fn errors_name_the_value() {
        assert_eq!(
            Sphere::new(0),
            Err(ManifoldError::InvalidDimension {
                what: "Sphere",
                min: 1,
                got: 0
            })
        );
        let m = Sphere::new(2).expect("valid");
        let wrong = Tensor::zeros([4, 2], F64);
        assert!(matches!(
            m.check_points(&wrong),
            Err(ManifoldError::ShapeMismatch { got, .. }) if got == vec![4, 2]
        ));
        let mut y = points(&m, 5);
        y = y.index_fill(0, &Tensor::from_slice(&[3i64]), 0.9);
        match m.check_points(&y) {
            Err(ManifoldError::OffManifold { row: 3, detail, .. }) => {
                assert!(detail.contains("1.5588"), "{detail}")
            }
            other => panic!("expected OffManifold at row 3, got {other:?}"),
        }
        let nan = points(&m, 3).index_fill(0, &Tensor::from_slice(&[1i64]), f64::NAN);
        assert!(matches!(
            m.check_points(&nan),
            Err(ManifoldError::OffManifold { row: 1, .. })
        ));
    }
}
