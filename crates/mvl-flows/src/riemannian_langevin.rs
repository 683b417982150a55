//! Riemannian Langevin dynamics on a manifold, through its charts.

use crate::error::Result;
use crate::flow::{GradientFlow, Noise, Step, step_rule_builders};
use crate::geometry::RescaleBy;
use crate::langevin::LangevinCore;
use mvl_manifold::{Energy, Manifold};
use tch::Tensor;

/// The Euler-Maruyama step of Riemannian Langevin dynamics towards q^s ∝ exp(−sE), q a density
/// with respect to the Riemannian volume of a manifold M (paper eq. 4 and 18, with the sign of
/// the log-det term of the authors' code; the printed equations have it the other way and are
/// wrong, paper-spec §2.3).
///
/// In the chart of each input point y (`Manifold::chart_at`, e.g. the sphere's stereographic
/// chart from the opposite pole), with x = coords(y) and G the metric:
/// - e₀ = E(embed x), h = ∇ₓe₀, k = s·h − ∇ₓ½log det G;
/// - drift v = −G⁻¹k + Σⱼ∂ⱼg^{ij}; εᵢ = ε / max(1, |v|²) when rescaled (Euclidean norm of the
///   chart drift, as the authors' code);
/// - ξ = √(2εᵢ)·G^{−1/2}z ~ N(0, 2εᵢG⁻¹); x⁻ = x + εᵢv + ξ; next = embed(x⁻) in the input's
///   chart, even where x⁻ leaves the chart's unit ball (paper-spec §9.2);
/// - diffusion = ⟨h, ξ⟩, the raw energy's chart gradient against the noise (paper eq. 18).
///
/// With [`RiemannianLangevin::metropolis`] the proposal passes an exact Metropolis-Hastings
/// test with respect to the Riemannian volume (see the `mh` module notes).
/// In Euclidean space with its identity chart this is [`crate::Langevin`], except that the
/// rescaling uses |v|² = s²|∇E|² instead of |∇E|².
///
/// # Shapes
/// Input `[b, n]` ambient points; normal noise `[b, d]` with d = `manifold.dim()`; uniform
/// noise `[b, 1]` with the MH test, else `[b, 0]`.
///
/// ```
/// use mvl_flows::{GradientFlow, RiemannianLangevin};
/// use mvl_manifold::{FnEnergy, Manifold, Sphere};
/// use tch::{Device, Kind, Tensor};
/// // vMF(μ = e₃, κ = 4) on S²: E(y) = −κ μᵀy; E[μᵀy] = coth κ − 1/κ ≈ 0.751.
/// let sphere = Sphere::new(2)?;
/// let vmf = FnEnergy::new(|y: &Tensor| y.select(1, 2) * -4.0);
/// let flow = RiemannianLangevin::new(sphere, 0.02)?;
/// let y = sphere.project(&Tensor::randn([500, 3], (Kind::Double, Device::Cpu)));
/// let samples = flow.sample(&vmf, &y, 200)?;
/// let mean = samples.select(1, 2).mean(Kind::Double).double_value(&[]);
/// assert!((mean - 0.751).abs() < 0.05, "{mean}");
/// # Ok::<(), mvl_flows::FlowError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiemannianLangevin<M> {
    core: LangevinCore,
    manifold: M,
}

impl<M: Manifold> RiemannianLangevin<M> {
    /// Step size ε (finite, > 0) on `manifold`; energy scale 1; no rescaling; no MH test.
    pub fn new(manifold: M, eps: f64) -> Result<Self> {
        Ok(Self {
            core: LangevinCore::new(eps, RescaleBy::Drift)?,
            manifold,
        })
    }

    step_rule_builders!(core.rule, "|v|², v the chart drift");

    /// Adds the Metropolis-Hastings accept/reject test (Riemannian MALA).
    pub fn metropolis(mut self, on: bool) -> Self {
        self.core.metropolis = on;
        self
    }

    /// The manifold.
    pub fn manifold(&self) -> &M {
        &self.manifold
    }
}

impl<M: Manifold> GradientFlow for RiemannianLangevin<M> {
    fn name(&self) -> &'static str {
        if self.core.metropolis {
            "Riemannian MALA"
        } else {
            "Riemannian Langevin"
        }
    }

    fn noise_dim(&self, _x: &Tensor) -> i64 {
        self.manifold.dim()
    }

    fn uniforms(&self) -> i64 {
        i64::from(self.core.metropolis)
    }

    fn step_with(&self, energy: &dyn Energy, y: &Tensor, noise: &Noise) -> Result<Step> {
        self.core
            .step(self.name(), &self.manifold, energy, y, noise)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::check_flow;
    use crate::{FlowError, Langevin};
    use mvl_manifold::max_abs;
    use mvl_manifold::{Euclidean, FnEnergy, PoincareBall, Sphere};
    use tch::{Device, Kind};

    #[test]
    fn conformance_on_every_manifold() {
        let _seed = mvl_manifold::testing::seeded(21);
        // A steep energy, so that the energy part of the drift dominates the metric terms.
        let e = FnEnergy::new(|y: &Tensor| y.select(1, 0) * -20.0);
        for kind in [Kind::Double, Kind::Float] {
            let opts = (kind, Device::Cpu);
            for n in [1, 2] {
                let sphere = Sphere::new(n).expect("valid");
                let y = sphere.project(&Tensor::randn([12, n + 1], opts));
                check_flow(
                    &RiemannianLangevin::new(sphere, 1e-4).expect("valid"),
                    &e,
                    &y,
                );
                let mala = RiemannianLangevin::new(sphere, 1e-4)
                    .expect("valid")
                    .metropolis(true)
                    .rescaled(true);
                check_flow(&mala, &e, &y);
            }
            let ball = PoincareBall::new(2).expect("valid");
            let y = Tensor::rand([12, 2], opts) * 1.2 - 0.6;
            check_flow(
                &RiemannianLangevin::new(ball, 1e-4)
                    .expect("valid")
                    .metropolis(true),
                &e,
                &y,
            );
            let flat = Euclidean::new(3).expect("valid");
            let y = Tensor::randn([12, 3], opts);
            check_flow(&RiemannianLangevin::new(flat, 1e-4).expect("valid"), &e, &y);
        }
    }

    fn bumpy(x: &Tensor) -> Tensor {
        (x.square().sum_dim_intlist(-1, false, x.kind()) * 2.0).sqrt() + x.select(1, 1).sin()
    }

    /// In R^n with the identity chart the Riemannian step is the Euclidean one, noise for
    /// noise, MH decision for MH decision; only the rescaling norm differs (below).
    #[test]
    fn euclidean_case_is_langevin() {
        let _seed = mvl_manifold::testing::seeded(22);
        let opts = (Kind::Double, Device::Cpu);
        let e = FnEnergy::new(bumpy);
        let x = Tensor::randn([64, 3], opts) * 2.0;
        let noise = Noise {
            normal: Tensor::randn([64, 3], opts),
            uniform: Tensor::rand([64, 1], opts),
        };
        let space = Euclidean::new(3).expect("valid");
        for (s, rescale) in [(0.5, false), (1.0, true)] {
            let eu = Langevin::new(0.4)
                .and_then(|f| f.energy_scale(s))
                .expect("valid");
            let ri = RiemannianLangevin::new(space, 0.4)
                .and_then(|f| f.energy_scale(s))
                .expect("valid");
            let a = eu
                .rescaled(rescale)
                .metropolis(true)
                .step_with(&e, &x, &noise)
                .expect("step");
            let b = ri
                .rescaled(rescale)
                .metropolis(true)
                .step_with(&e, &x, &noise)
                .expect("step");
            assert!(
                max_abs(&(&a.next - &b.next)) < 1e-12,
                "next differs (s = {s})"
            );
            assert!(max_abs(&(&a.energy - &b.energy)) < 1e-12);
            assert!(max_abs(&(a.diffusion.expect("some") - b.diffusion.expect("some"))) < 1e-12);
            let (acc_a, acc_b) = (a.accepted.expect("mh"), b.accepted.expect("mh"));
            assert!(acc_a.equal(&acc_b), "MH decisions differ");
            assert!(
                acc_a.logical_not().any().int64_value(&[]) == 1,
                "some rejections expected"
            );
        }
    }

    /// With s = ½ and rescaling, the Riemannian step divides by |v|² = |∇E|²/4, the
    /// Euclidean one by |∇E|² (paper-spec §9.2).
    #[test]
    fn euclidean_rescaling_uses_the_drift_norm() {
        let _seed = mvl_manifold::testing::seeded(23);
        let opts = (Kind::Double, Device::Cpu);
        let e = FnEnergy::new(bumpy);
        let x = Tensor::randn([64, 3], opts) * 2.0;
        let noise = Noise {
            normal: Tensor::randn([64, 3], opts),
            uniform: Tensor::zeros([64, 0], opts),
        };
        let space = Euclidean::new(3).expect("valid");
        let ri = RiemannianLangevin::new(space, 0.4)
            .and_then(|f| f.energy_scale(0.5))
            .expect("valid");
        let grad_sq = e.grad(&x).square().sum_dim_intlist(-1, false, Kind::Double);
        let expected = (grad_sq / 4.0).clamp_min(1.0).reciprocal() * 0.4;
        let got = ri
            .rescaled(true)
            .step_with(&e, &x, &noise)
            .expect("step")
            .step_size;
        assert!(max_abs(&(got - expected)) < 1e-14);
    }

    #[test]
    fn bad_input_is_reported() {
        // Its steps draw noise: under the suites' seed lock, so as not to shift the draws of
        // tests that hold it.
        let _seed = mvl_manifold::testing::seeded(75);
        let sphere = Sphere::new(2).expect("valid");
        assert!(matches!(
            RiemannianLangevin::new(sphere, -0.1),
            Err(FlowError::InvalidParameter {
                name: "step size",
                value: -0.1,
                ..
            })
        ));
        let flow = RiemannianLangevin::new(sphere, 0.1).expect("valid");
        let e = FnEnergy::new(|y: &Tensor| y.select(1, 0));
        let opts = (Kind::Double, Device::Cpu);
        let off = Tensor::ones([3, 3], opts);
        assert!(matches!(flow.step(&e, &off), Err(FlowError::Manifold(_))));
        let y = sphere.project(&Tensor::randn([3, 3], opts));
        // Chart noise has the manifold's dimension 2, not the ambient 3.
        let wrong = Noise {
            normal: Tensor::zeros([3, 3], opts),
            uniform: Tensor::zeros([3, 0], opts),
        };
        assert!(matches!(
            flow.step_with(&e, &y, &wrong),
            Err(FlowError::ShapeMismatch {
                what: "normal noise",
                ..
            })
        ));
        let nan = FnEnergy::new(|y: &Tensor| y.select(1, 0) * f64::NAN);
        assert!(matches!(
            flow.step(&nan, &y),
            Err(FlowError::NonFinite { row: 0, .. })
        ));
    }
}
