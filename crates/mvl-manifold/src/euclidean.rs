//! Euclidean space R^n with its identity chart.

use crate::chart::Chart;
use crate::error::Result;
use crate::manifold::{Manifold, check_batch, check_dim};
use crate::metric::Metric;
use tch::Tensor;

/// Euclidean space R^n: one global identity chart, metric I, no curvature terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Euclidean {
    n: i64,
}

impl Euclidean {
    /// R^n for n ≥ 1.
    pub fn new(n: i64) -> Result<Self> {
        check_dim("Euclidean", n, 1)?;
        Ok(Self { n })
    }
}

/// The identity chart of R^n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityChart {
    n: i64,
}

impl Chart for IdentityChart {
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
    fn is_flat(&self) -> bool {
        true
    }
    fn metric(&self, x: &Tensor) -> Metric {
        Metric::Conformal {
            factor: x.select(1, 0).ones_like(),
            dim: self.n,
        }
    }
    fn inv_metric_div(&self, x: &Tensor) -> Tensor {
        x.zeros_like()
    }
    fn half_log_det(&self, x: &Tensor) -> Tensor {
        x.select(1, 0).zeros_like()
    }
    fn half_log_det_grad(&self, x: &Tensor) -> Tensor {
        x.zeros_like()
    }
}

impl Manifold for Euclidean {
    type Chart = IdentityChart;
    fn name(&self) -> String {
        format!("R^{}", self.n)
    }
    fn dim(&self) -> i64 {
        self.n
    }
    fn ambient_dim(&self) -> i64 {
        self.n
    }
    fn project(&self, y: &Tensor) -> Tensor {
        y.shallow_clone()
    }
    fn to_tangent(&self, _y: &Tensor, v: &Tensor) -> Tensor {
        v.shallow_clone()
    }
    fn chart_at(&self, _y: &Tensor) -> IdentityChart {
        IdentityChart { n: self.n }
    }
    fn check_points(&self, y: &Tensor) -> Result<()> {
        check_batch("Euclidean", y, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::energy::GaussianEnergy;
    use crate::error::ManifoldError;
    use crate::testing::{check_energy, check_manifold, devices};
    use tch::{Device, Kind};

    #[test]
    fn conformance_and_gaussian_energy() {
        let _seed = crate::testing::seeded(7);
        let m = Euclidean::new(3).expect("valid");
        let y = Tensor::randn([10, 3], (Kind::Double, Device::Cpu));
        check_manifold(&m, &y, true);
        for device in devices() {
            let mean = Tensor::from_slice(&[1.0f64, -2.0, 0.5]).to_device(device);
            let e = GaussianEnergy::new(&mean, 0.7).expect("valid");
            check_energy(&e, &y.to_device(device));
        }
    }

    #[test]
    fn errors() {
        assert!(matches!(
            Euclidean::new(0),
            Err(ManifoldError::InvalidDimension {
                what: "Euclidean",
                got: 0,
                ..
            })
        ));
        let mean = Tensor::zeros([2], (Kind::Double, Device::Cpu));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            match GaussianEnergy::new(&mean, bad) {
                Err(ManifoldError::InvalidArgument {
                    name: "std", value, ..
                }) => {
                    assert!(value.is_nan() || value == bad)
                }
                other => panic!("expected InvalidArgument for {bad}, got {other:?}"),
            }
        }
        let m = Euclidean::new(2).expect("valid");
        let wrong = Tensor::zeros([3, 4], (Kind::Double, Device::Cpu));
        assert!(matches!(
            m.check_points(&wrong),
            Err(ManifoldError::ShapeMismatch { .. })
        ));
    }
}
