//! The Poincaré ball model of hyperbolic space H^n (curvature −1).

use crate::chart::Chart;
use crate::error::{ManifoldError, Result};
use crate::manifold::{Manifold, check_batch, check_dim, first_true_row};
use crate::metric::{Metric, row_dot, row_norm_sq};
use tch::{Kind, Tensor};

/// Hyperbolic space as the open unit ball B^n with the metric 4/(1 − |x|²)² I.
///
/// One global chart (the ball itself), so ambient and chart coordinates coincide. The
/// metric is not induced by the Euclidean ambient space; the chart overrides it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoincareBall {
    n: i64,
}

/// Points are kept at norm ≤ 1 − `BOUNDARY_EPS` by [`Manifold::project`].
pub const BOUNDARY_EPS: f64 = 1e-5;

impl PoincareBall {
    /// H^n for n ≥ 1.
    pub fn new(n: i64) -> Result<Self> {
        check_dim("PoincareBall", n, 1)?;
        Ok(Self { n })
    }

    /// Möbius addition x ⊕ y.
    pub fn mobius_add(&self, x: &Tensor, y: &Tensor) -> Tensor {
        let xy = row_dot(x, y).unsqueeze(-1);
        let x2 = row_norm_sq(x).unsqueeze(-1);
        let y2 = row_norm_sq(y).unsqueeze(-1);
        let num = x * (&xy * 2.0 + &y2 + 1.0) + y * (-&x2 + 1.0);
        let den = xy * 2.0 + x2 * y2 + 1.0;
        num / den
    }

    /// The conformal factor λ_x = 2/(1 − |x|²) (the metric is λ_x² I), `[b, 1]`.
    pub fn lambda(&self, x: &Tensor) -> Tensor {
        (-row_norm_sq(x).unsqueeze(-1) + 1.0).reciprocal() * 2.0
    }

    /// exp_x(v) = x ⊕ tanh(λ_x|v|/2) v/|v|.
    pub fn exp(&self, x: &Tensor, v: &Tensor) -> Tensor {
        let norm = row_norm_sq(v).sqrt().unsqueeze(-1).clamp_min(1e-300);
        let step = v * ((self.lambda(x) * &norm / 2.0).tanh() / norm);
        self.mobius_add(x, &step)
    }

    /// log_x(y) = (2/λ_x) artanh(|−x ⊕ y|) (−x ⊕ y)/|−x ⊕ y|.
    pub fn log(&self, x: &Tensor, y: &Tensor) -> Tensor {
        let w = self.mobius_add(&-x, y);
        let norm = row_norm_sq(&w).sqrt().unsqueeze(-1).clamp_min(1e-300);
        w * (norm.clamp_max(1.0 - 1e-15).arctanh() * 2.0 / (self.lambda(x) * norm))
    }

    /// d(x, y) = arcosh(1 + 2|x − y|²/((1 − |x|²)(1 − |y|²))), `[b]`.
    ///
    /// Defined for points of H^n, i.e. inside the open unit ball: a row where x or y has
    /// norm ≥ 1 (or a NaN entry) gives NaN, the distance being undefined there (the formula
    /// alone would give +∞ on the boundary and a meaningless finite value when both points
    /// lie outside). Precondition: `x` and `y` are `[b, n]` or broadcast to it (libtorch
    /// panics otherwise; [`Manifold::check_points`] checks points with a typed error).
    pub fn dist(&self, x: &Tensor, y: &Tensor) -> Tensor {
        let (nx, ny) = (row_norm_sq(x), row_norm_sq(y));
        let inside = nx.lt(1.0).logical_and(&ny.lt(1.0));
        let num = row_norm_sq(&(x - y)) * 2.0;
        let den = (-nx + 1.0) * (-ny + 1.0);
        let d = (num / den + 1.0).arccosh();
        d.where_self(&inside, &d.full_like(f64::NAN))
    }
}

/// The global chart of the Poincaré ball.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoincareChart {
    n: i64,
}

impl Chart for PoincareChart {
    fn dim(&self) -> i64 {
        self.n
    }
    fn coords(&self, y: &Tensor) -> Tensor {
        y.shallow_clone()
    }
    fn embed(&self, x: &Tensor) -> Tensor {
        x.shallow_clone()
    }
    fn is_identity_embedding(&self) -> bool {
        true
    }
    fn metric(&self, x: &Tensor) -> Metric {
        Metric::Conformal {
            factor: (-row_norm_sq(x) + 1.0).square().reciprocal() * 4.0,
            dim: self.n,
        }
    }
    /// Σⱼ ∂ⱼ g^{ij} = −(1 − |x|²) xᵢ, from g^{ii} = (1 − |x|²)²/4.
    fn inv_metric_div(&self, x: &Tensor) -> Tensor {
        x * (row_norm_sq(x).unsqueeze(-1) - 1.0)
    }
    /// ½ log det G = n (log 2 − log(1 − |x|²)).
    fn half_log_det(&self, x: &Tensor) -> Tensor {
        ((-row_norm_sq(x) + 1.0).log().neg() + std::f64::consts::LN_2) * self.n as f64
    }
    fn half_log_det_grad(&self, x: &Tensor) -> Tensor {
        x * (2.0 * self.n as f64) / (-row_norm_sq(x).unsqueeze(-1) + 1.0)
    }
}

impl Manifold for PoincareBall {
    type Chart = PoincareChart;
    fn name(&self) -> String {
        format!("H^{}", self.n)
    }
    fn dim(&self) -> i64 {
        self.n
    }
    fn ambient_dim(&self) -> i64 {
        self.n
    }
    fn project(&self, y: &Tensor) -> Tensor {
        let norm = row_norm_sq(y).sqrt().unsqueeze(-1);
        let max = 1.0 - BOUNDARY_EPS;
        y * (max / norm.clamp_min(max)) // shrink only rows beyond the allowed radius
    }
    fn to_tangent(&self, _y: &Tensor, v: &Tensor) -> Tensor {
        v.shallow_clone()
    }
    fn chart_at(&self, _y: &Tensor) -> PoincareChart {
        PoincareChart { n: self.n }
    }
    fn check_points(&self, y: &Tensor) -> Result<()> {
        check_batch("PoincareBall", y, self.n)?;
        let norm = row_norm_sq(y).to_kind(Kind::Double).sqrt();
        if let Some(row) = first_true_row(&norm.ge(1.0)) {
            return Err(ManifoldError::OffManifold {
                manifold: "PoincareBall",
                row,
                detail: format!("norm {} is not < 1", norm.double_value(&[row])),
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
    use crate::testing::{check_chart_energy, check_manifold};
    use tch::Device;

    const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

    fn points(b: i64, n: i64) -> Tensor {
        let v = Tensor::randn([b, n], F64);
        let r = Tensor::rand([b, 1], F64) * 0.95;
        &v / crate::metric::row_norm_sq(&v).sqrt().unsqueeze(-1) * r
    }

    #[test]
    fn conformance() {
        let _seed = crate::testing::seeded(5);
        for n in [1, 2, 4] {
            let m = PoincareBall::new(n).expect("valid");
            let y = points(16, n);
            // The hyperbolic metric is not the one induced by R^n: no pull-back check.
            check_manifold(&m, &y, false);
            let e = FnEnergy::new(|y: &Tensor| y.select(1, 0).exp());
            check_chart_energy(&e, &m.chart_at(&y), &y);
        }
    }

    #[test]
    fn exp_log_dist_consistent() {
        let _seed = crate::testing::seeded(6);
        let m = PoincareBall::new(3).expect("valid");
        let x = points(8, 3) * 0.5;
        let v = Tensor::randn([8, 3], F64) * 0.3;
        let y = m.exp(&x, &v);
        m.check_points(&y).expect("exp stays inside the ball");
        assert!((m.log(&x, &y) - &v).abs().max().double_value(&[]) < 1e-9);
        // Riemannian length of v is λ_x|v|, which must equal the distance.
        let len = m.lambda(&x).squeeze_dim(-1) * crate::metric::row_norm_sq(&v).sqrt();
        assert!((m.dist(&x, &y) - len).abs().max().double_value(&[]) < 1e-9);
    }

    /// q_H(x) = (4/π) exp(−3 d(0, x)) is a probability density on H^2 (in geodesic polar
    /// coordinates the volume is sinh ρ dρ dφ and ∫₀^∞ e^{−3ρ} sinh ρ dρ = 1/8), so its chart
    /// energy must integrate to 1 over the unit disk. Midpoint rule in (r, φ).
    #[test]
    fn chart_density_integrates_to_one() {
        let m = PoincareBall::new(2).expect("valid");
        let k = 2000;
        // Substitute r = 1 − (1 − s)² to resolve the boundary layer.
        let s = (Tensor::arange(k, F64) + 0.5) / k as f64;
        let r = -(-&s + 1.0).square() + 1.0;
        let dr = (-&s + 1.0) * 2.0 / k as f64;
        let kphi = 64;
        let phi = (Tensor::arange(kphi, F64) + 0.5) * (2.0 * std::f64::consts::PI / kphi as f64);
        let grid = Tensor::meshgrid_indexing(&[&r, &phi], "ij");
        let (rr, pp) = (grid[0].flatten(0, 1), grid[1].flatten(0, 1));
        let w = (&dr.unsqueeze(1) * &r.unsqueeze(1))
            .expand([k, kphi], false)
            .flatten(0, 1)
            * (2.0 * std::f64::consts::PI / kphi as f64);
        let x = Tensor::stack(&[&rr * pp.cos(), &rr * pp.sin()], 1);
        let origin = x.zeros_like();
        let mm = m;
        let q = FnEnergy::new(move |y: &Tensor| {
            mm.dist(&origin.narrow(0, 0, y.size()[0]), y) * 3.0 - (4.0 / std::f64::consts::PI).ln()
        });
        let chart = m.chart_at(&x);
        let total = (ChartEnergy::new(&q, &chart).energy(&x).neg().exp() * w)
            .sum(Kind::Double)
            .double_value(&[]);
        assert!((total - 1.0).abs() < 1e-5, "total {total}");
    }

    #[test]
    fn errors_and_projection() {
        assert!(matches!(
            PoincareBall::new(0),
            Err(ManifoldError::InvalidDimension { got: 0, .. })
        ));
        let m = PoincareBall::new(2).expect("valid");
        let y = Tensor::from_slice(&[0.1f64, 0.2, 0.8, 0.7]).view([2, 2]);
        match m.check_points(&y) {
            Err(ManifoldError::OffManifold { row: 1, detail, .. }) => {
                assert!(detail.contains("1.063"), "{detail}")
            }
            other => panic!("expected OffManifold at row 1, got {other:?}"),
        }
        let p = m.project(&y);
        m.check_points(&p).expect("projected inside");
        assert!((p.get(0) - y.get(0)).abs().max().double_value(&[]) == 0.0);
    }
}
