//! Stein variational gradient descent, in flat space or in a chart of a manifold.

use crate::error::Result;
use crate::flow::step_rule_builders;
use crate::flow::{GradientFlow, Noise, Step, StepRule, bandwidth_builder, finished};
use crate::geometry::{ChartState, Flat, Geometry, RescaleBy, check_input, check_noise};
use crate::kernel::{Bandwidth, svgd_direction};
use mvl_manifold::{Chart, Energy};
use tch::Tensor;

/// One SVGD step towards q^s ∝ exp(−sE) (Liu & Wang 2016, eq. 8; the authors' `svgd.py`,
/// paper-spec §2.4): x⁻ᵢ = xᵢ + εᵢ φ(xᵢ) with
/// φ(xᵢ) = (1/B) Σⱼ [k(xⱼ, xᵢ)(−s∇E(xⱼ)) + ∇_{xⱼ}k(xⱼ, xᵢ)] (see [`svgd_direction`]),
/// the RBF kernel k(a, b) = exp(−|a − b|²/(2h)) with a median-heuristic or fixed
/// [`Bandwidth`], and εᵢ = ε / max(1, |∇E(xᵢ)|²) when rescaled (the unscaled gradient, as the
/// authors' SPOS). Deterministic: `diffusion` is `None` and the flow draws no noise.
///
/// On a manifold ([`Svgd::on`]) the particles are expressed in one chart for the whole batch
/// ([`Geometry::batch_chart`]) and SVGD runs there with the Euclidean kernel of chart
/// coordinates, towards the chart density of q^s, whose energy is
/// E_chart = s·E∘embed − ½ log det G: the score is −∇E_chart. That is plain SVGD for a
/// density on R^d, so its fixed points are the chart density, i.e. q^s on the manifold
/// (chart densities and volume densities differ by the factor √det G, paper eq. 3). It is
/// not the Riemannian SVGD of Liu & Zhu (2018), whose kernel and gradient use the metric.
///
/// # Shapes
/// Input `[B, n]`; noise `[B, 0]` (normal and uniform).
///
/// ```
/// use mvl_flows::{GradientFlow, Svgd};
/// use mvl_manifold::GaussianEnergy;
/// use tch::{Device, Kind, Tensor};
/// let opts = (Kind::Double, Device::Cpu);
/// let target = GaussianEnergy::new(&Tensor::from_slice(&[1.0f64, -1.0]), 0.5)?;
/// let flow = Svgd::new(0.2)?;
/// let x = Tensor::randn([50, 2], opts) * 2.0;
/// let particles = flow.sample(&target, &x, 150)?;
/// let mean = particles.mean_dim(0, false, Kind::Double);
/// assert!((mean - Tensor::from_slice(&[1.0f64, -1.0])).abs().max().double_value(&[]) < 0.05);
/// # Ok::<(), mvl_flows::FlowError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Svgd<G = Flat> {
    rule: StepRule,
    bandwidth: Bandwidth,
    geometry: G,
}

impl Svgd<Flat> {
    /// Step size ε (finite, > 0) in flat space; energy scale 1; no rescaling; median bandwidth.
    pub fn new(eps: f64) -> Result<Self> {
        Ok(Self {
            rule: StepRule::new(eps)?,
            bandwidth: Bandwidth::Median,
            geometry: Flat,
        })
    }
}

impl<G: Geometry> Svgd<G> {
    step_rule_builders!(rule, "|∇E|²");
    bandwidth_builder!();

    /// The same flow on another geometry, e.g. a [`mvl_manifold::Manifold`].
    pub fn on<H: Geometry>(self, geometry: H) -> Svgd<H> {
        Svgd {
            rule: self.rule,
            bandwidth: self.bandwidth,
            geometry,
        }
    }
}

impl<G: Geometry> GradientFlow for Svgd<G> {
    fn name(&self) -> &'static str {
        "SVGD"
    }

    fn noise_dim(&self, _x: &Tensor) -> i64 {
        0
    }

    fn step_with(&self, energy: &dyn Energy, y: &Tensor, noise: &Noise) -> Result<Step> {
        check_input(&self.geometry, self.name(), energy, y)?;
        check_noise(noise, y, 0, 0)?;
        let state = particle_state(self.name(), &self.geometry, energy, y, &self.rule)?;
        let phi = chart_svgd_direction(&state, self.bandwidth);
        let eps = state.step_sizes(&self.rule, RescaleBy::Gradient);
        let next = state.chart.embed(&(&state.x + phi * eps.unsqueeze(-1)));
        let step = Step {
            next,
            energy: state.energy,
            step_size: eps,
            diffusion: None,
            accepted: None,
        };
        finished(self.name(), step)
    }
}

/// The chart state of interacting particles: all rows in the geometry's batch chart.
pub(crate) fn particle_state<G: Geometry>(
    name: &'static str,
    geometry: &G,
    energy: &dyn Energy,
    y: &Tensor,
    rule: &StepRule,
) -> Result<ChartState<G::Chart>> {
    let chart = geometry.batch_chart(y)?;
    ChartState::new(name, geometry, chart, energy, y, rule.scale)
}

/// φ in chart coordinates with the chart density's score −∇E_chart.
pub(crate) fn chart_svgd_direction<C: Chart>(
    state: &ChartState<C>,
    bandwidth: Bandwidth,
) -> Tensor {
    svgd_direction(&state.x, &(-&state.target_grad), bandwidth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlowError;
    use crate::testing::check_flow;
    use mvl_manifold::max_abs;
    use mvl_manifold::{FnEnergy, Manifold, PoincareBall, Sphere};
    use tch::{Device, Kind};

    fn far_quadratic(x: &Tensor) -> Tensor {
        (x - 3.0).square().sum_dim_intlist(-1, false, x.kind()) / 2.0
    }

    #[test]
    fn conformance_flat_and_in_charts() {
        let _seed = mvl_manifold::testing::seeded(41);
        let steep = FnEnergy::new(|y: &Tensor| y.select(1, 0) * -20.0);
        for kind in [Kind::Double, Kind::Float] {
            let opts = (kind, Device::Cpu);
            let x = Tensor::randn([16, 3], opts);
            check_flow(
                &Svgd::new(1e-3).expect("valid"),
                &FnEnergy::new(far_quadratic),
                &x,
            );
            let fixed = Svgd::new(1e-3)
                .and_then(|f| f.bandwidth(Bandwidth::Fixed(0.5)))
                .expect("valid");
            check_flow(&fixed.rescaled(true), &FnEnergy::new(far_quadratic), &x);
            let sphere = Sphere::new(2).expect("valid");
            let y = sphere.project(
                &(Tensor::randn([16, 3], opts)
                    + Tensor::from_slice(&[0.0f32, 0.0, 2.0]).to_kind(kind)),
            );
            check_flow(&Svgd::new(1e-4).expect("valid").on(sphere), &steep, &y);
            let ball = PoincareBall::new(2).expect("valid");
            check_flow(
                &Svgd::new(1e-4).expect("valid").on(ball),
                &steep,
                &(Tensor::rand([16, 2], opts) - 0.5),
            );
        }
    }

    /// A single particle feels no repulsion: SVGD is gradient descent on the (chart) energy,
    /// x⁻ = x − ε∇E_chart with ∇E_chart = s∇E − ∇½log det G.
    #[test]
    fn single_particle_is_gradient_descent() {
        let opts = (Kind::Double, Device::Cpu);
        let x = Tensor::from_slice(&[0.5f64, -1.0]).view([1, 2]);
        let flow = Svgd::new(0.1)
            .and_then(|f| f.energy_scale(0.5))
            .expect("valid");
        let none = Noise {
            normal: Tensor::zeros([1, 0], opts),
            uniform: Tensor::zeros([1, 0], opts),
        };
        let step = flow
            .step_with(&FnEnergy::new(far_quadratic), &x, &none)
            .expect("step");
        assert!(max_abs(&(step.next - (&x - (&x - 3.0) * 0.05))) < 1e-15);
        assert!(step.diffusion.is_none());
        // Poincaré ball, E = 0: ∇E_chart = −∇½log det G = −2n x/(1 − |x|²) with n = 2.
        let ball = PoincareBall::new(2).expect("valid");
        let y = Tensor::from_slice(&[0.3f64, 0.4]).view([1, 2]);
        let zero = FnEnergy::new(|y: &Tensor| y.select(1, 0) * 0.0);
        let step = flow.on(ball).step_with(&zero, &y, &none).expect("step");
        assert!(max_abs(&(step.next - &y * (1.0 + 0.1 * 4.0 / 0.75))) < 1e-15);
    }

    #[test]
    fn bad_input_is_reported() {
        // Its steps draw noise: under the suites' seed lock, so as not to shift the draws of
        // tests that hold it.
        let _seed = mvl_manifold::testing::seeded(74);
        assert!(matches!(
            Svgd::new(f64::NAN),
            Err(FlowError::InvalidParameter { name: "step size", value, .. }) if value.is_nan()
        ));
        assert!(matches!(
            Svgd::new(0.1).and_then(|f| f.bandwidth(Bandwidth::Fixed(-2.0))),
            Err(FlowError::InvalidParameter {
                name: "bandwidth",
                value: -2.0,
                ..
            })
        ));
        let opts = (Kind::Double, Device::Cpu);
        let flow = Svgd::new(0.1).expect("valid");
        let e = FnEnergy::new(far_quadratic);
        assert!(matches!(
            flow.step(&e, &Tensor::zeros([2, 3, 1], opts)),
            Err(FlowError::ShapeMismatch { .. })
        ));
        let sphere = Sphere::new(2).expect("valid");
        assert!(matches!(
            flow.on(sphere).step(&e, &Tensor::ones([4, 2], opts)),
            Err(FlowError::Manifold(_))
        ));
    }
}
