//! Contrastive divergence with one sampler step (CD-1), with and without the control variate:
//! the same flow-based objective as minimum velocity learning, with the proposal held fixed.

use crate::error::Result;
use crate::minimum_velocity::{Proposal, energy_drop};
use crate::objective::{Objective, check_batch};
use mvl_flows::{GradientFlow, Langevin};
use mvl_manifold::Energy;
use tch::Tensor;

/// CD-1 with one step of a flow `F` towards q itself (paper eq. 16; Hinton 2002), as a
/// *surrogate*: per sample
///
/// ℓ = (E(x) − E(x̃) + ⟨∇E(x), ξ⟩) / ε,  x̃ the flow's step from x held fixed (no gradient),
///
/// whose parameter gradient is the CD-1 update divided by ε. With a Langevin step
/// (x̃ = x − ε∇E(x) + ξ, [`ContrastiveDivergence::new`]) its expectation is ∇θ J_SM + O(ε)
/// (Taylor expansion of E(x̃) around x); without the control variate ⟨∇E(x), ξ⟩ that
/// gradient estimate has variance growing like 1/ε, with it the variance stays bounded
/// (paper §3.3).
///
/// **The same mechanism as minimum velocity learning.** ℓ is computed by the one function
/// that turns a flow into an objective, the energy drop over one step plus the control
/// variate ([`crate::MinimumVelocity`]); CD-1 differs in two settings only: the flow targets q
/// (energy scale 1) rather than q^{1/2}, and the gradient does not pass through x̃. Any flow
/// works ([`ContrastiveDivergence::with_flow`]: e.g. CD-1 with a Riemannian Langevin step on
/// a manifold).
///
/// **This is not a proper objective**: E_p E − E_{p₁} E is not a loss that the model
/// minimises (paper §3.3, footnote 5), so the value of ℓ means nothing and cannot be
/// monitored or used for early stopping; only its gradient is meaningful
/// ([`Objective::surrogate`] is true). Its gradient is therefore not the derivative of its
/// value: it is that derivative with x̃ held fixed.
///
/// ```
/// use mvl_objectives::{ContrastiveDivergence, Objective};
/// let cd = ContrastiveDivergence::new(1e-3)?.control_variate(true);
/// assert_eq!(cd.name(), "CD-1-CV");
/// assert!(cd.surrogate());
/// # Ok::<(), mvl_objectives::ObjectiveError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContrastiveDivergence<F = Langevin> {
    flow: F,
    control_variate: bool,
}

impl ContrastiveDivergence<Langevin> {
    /// CD-1 with a Langevin step of size ε (finite, > 0) and energy scale 1; no control variate.
    pub fn new(eps: f64) -> Result<Self> {
        Ok(Self::with_flow(Langevin::new(eps)?))
    }
}

impl<F: GradientFlow> ContrastiveDivergence<F> {
    /// CD-1 with one step of `flow`, which must target q (energy scale 1); no control variate.
    pub fn with_flow(flow: F) -> Self {
        Self {
            flow,
            control_variate: false,
        }
    }

    /// Turns the control variate on or off.
    pub fn control_variate(mut self, on: bool) -> Self {
        self.control_variate = on;
        self
    }

    /// The sampler.
    pub fn flow(&self) -> &F {
        &self.flow
    }
}

impl<F: GradientFlow> Objective for ContrastiveDivergence<F> {
    fn name(&self) -> &'static str {
        if self.control_variate {
            "CD-1-CV"
        } else {
            "CD-1"
        }
    }

    fn surrogate(&self) -> bool {
        true
    }

    fn per_sample(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor> {
        check_batch(self.name(), energy, x)?;
        energy_drop(
            &self.flow,
            energy,
            x,
            self.control_variate,
            Proposal::Detached,
        )
        .map(|(terms, _)| terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mvl_manifold::FnEnergy;
    use mvl_manifold::row_dot;
    use tch::{Device, Kind};

    const EPS: f64 = 1e-2;

    /// E_θ(x) = ½θ₀|x|² + θ₁ Σⱼ sin xⱼ and its gradient θ₀x + θ₁ cos x.
    fn energy(theta: &Tensor) -> FnEnergy<impl Fn(&Tensor) -> Tensor> {
        let t = theta.shallow_clone();
        FnEnergy::new(move |x: &Tensor| {
            let k = x.kind();
            x.square().sum_dim_intlist(1, false, k) * t.get(0) * 0.5
                + x.sin().sum_dim_intlist(1, false, k) * t.get(1)
        })
    }

    /// CD-1's gradient is the derivative of its value with the proposal x̃ held fixed (paper
    /// eq. 16), not the derivative of its value: checked against central finite differences
    /// of mean (E_θ(x) − E_θ(x̃) + ⟨∇E_θ(x), ξ⟩)/ε with x̃ and ξ from the Langevin step at θ₀
    /// (same seed), and against the finite differences of the loss itself, which move x̃
    /// and differ.
    #[test]
    fn gradient_holds_the_proposal_fixed() {
        let _seed = mvl_manifold::testing::seeded(51);
        let x = Tensor::randn([32, 2], (Kind::Double, Device::Cpu));
        let theta = Tensor::from_slice(&[0.7f64, 0.4]);
        let cd = ContrastiveDivergence::new(EPS)
            .expect("valid")
            .control_variate(true);
        let leaf = theta.detach().set_requires_grad(true);
        tch::manual_seed(5);
        let loss = cd.loss(&energy(&leaf), &x).expect("loss");
        let grad = Tensor::run_backward(&[loss], &[&leaf], false, false)[0].shallow_clone();
        tch::manual_seed(5);
        let noise = cd.flow().draw_noise(&x);
        let step = cd
            .flow()
            .step_with(&energy(&theta), &x, &noise)
            .expect("step");
        let (proposal, xi) = (step.next.detach(), &noise.normal * (2.0 * EPS).sqrt());
        let fixed = |t: &Tensor| {
            let e = energy(t);
            let g = &x * t.get(0) + x.cos() * t.get(1);
            ((e.energy(&x) - e.energy(&proposal) + row_dot(&g, &xi)) / EPS)
                .mean(Kind::Double)
                .double_value(&[])
        };
        let moving = |t: &Tensor| {
            tch::manual_seed(5);
            let l = cd.loss(&energy(t), &x).expect("loss");
            l.double_value(&[])
        };
        let h = 1e-6;
        for k in 0..2 {
            let shift = Tensor::zeros([2], (Kind::Double, Device::Cpu)).index_fill(
                0,
                &Tensor::from_slice(&[k]),
                h,
            );
            let g = grad.double_value(&[k]);
            let fd = |f: &dyn Fn(&Tensor) -> f64| {
                (f(&(&theta + &shift)) - f(&(&theta - &shift))) / (2.0 * h)
            };
            let (held, moved) = (fd(&fixed), fd(&moving));
            assert!(
                (g - held).abs() < 1e-6 * (1.0 + g.abs()),
                "θ_{k}: {g} vs {held}"
            );
            assert!((g - moved).abs() > 1e-3, "θ_{k}: {g} vs {moved}");
        }
    }
}
