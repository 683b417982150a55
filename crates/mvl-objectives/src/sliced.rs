//! Sliced score matching (Song et al. 2019) and its variance-reduced form.

use crate::error::{ObjectiveError, Result};
use crate::objective::{Objective, check_batch};
use mvl_manifold::Energy;
use mvl_manifold::{differentiable, grad_of_sum};
use mvl_manifold::{row_dot, row_norm_sq};
use tch::Tensor;

/// The distribution of the random projections v.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// v ~ N(0, I).
    Gaussian,
    /// Independent ±1 entries.
    Rademacher,
}

/// Sliced score matching, per sample the average over M projections v (E\[vvᵀ\] = I) of
///
/// ½(vᵀ∇E)² − vᵀ(∇²E)v, or, variance-reduced, ½|∇E|² − vᵀ(∇²E)v,
///
/// both unbiased for J_SM = E_p[½|∇E|² − ΔE] (Song et al. 2019, eq. 7-8; paper §6.1 uses it
/// as the unbiased reference). vᵀ(∇²E)v costs one backward pass per projection.
///
/// ```
/// use mvl_manifold::GaussianEnergy;
/// use mvl_objectives::{Objective, Projection, SlicedScoreMatching};
/// use tch::{Device, Kind, Tensor};
/// let opts = (Kind::Double, Device::Cpu);
/// let energy = GaussianEnergy::new(&Tensor::zeros([3], opts), 1.0)?; // ∇²E = I
/// let x = Tensor::zeros([5, 3], opts);
/// // At x = 0 the VR form is −vᵀv = −3 exactly for Rademacher v.
/// let ssm = SlicedScoreMatching::new(4, Projection::Rademacher)?.variance_reduced(true);
/// let terms = ssm.per_sample(&energy, &x)?;
/// assert!((terms + 3.0).abs().max().double_value(&[]) < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlicedScoreMatching {
    projections: i64,
    kind: Projection,
    variance_reduced: bool,
}

impl SlicedScoreMatching {
    /// `projections` ≥ 1 random projections per sample, of the given distribution.
    pub fn new(projections: i64, kind: Projection) -> Result<Self> {
        if projections < 1 {
            return Err(ObjectiveError::InvalidParameter {
                name: "projections",
                value: projections as f64,
                reason: "must be at least 1",
            });
        }
        Ok(Self {
            projections,
            kind,
            variance_reduced: false,
        })
    }

    /// Uses the variance-reduced form ½|∇E|² − vᵀ(∇²E)v.
    pub fn variance_reduced(mut self, on: bool) -> Self {
        self.variance_reduced = on;
        self
    }

    fn draw(&self, like: &Tensor) -> Tensor {
        let v = like.randn_like();
        match self.kind {
            Projection::Gaussian => v,
            Projection::Rademacher => v.sign(),
        }
    }
}

impl Objective for SlicedScoreMatching {
    fn name(&self) -> &'static str {
        if self.variance_reduced {
            "SSM-VR"
        } else {
            "SSM"
        }
    }

    fn per_sample(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor> {
        check_batch(self.name(), energy, x)?;
        let x = differentiable(x);
        let (_, g) = energy.energy_and_grad(&x);
        let half_sq = row_norm_sq(&g) / 2.0;
        let terms: Vec<Tensor> = (0..self.projections)
            .map(|_| {
                let v = self.draw(&x);
                let gv = row_dot(&g, &v);
                let hv = grad_of_sum(&gv, &x);
                let first = if self.variance_reduced {
                    half_sq.shallow_clone()
                } else {
                    gv.square() / 2.0
                };
                first - row_dot(&v, &hv)
            })
            .collect();
        Ok(Tensor::stack(&terms, 0).mean_dim(0, false, g.kind()))
    }
}
