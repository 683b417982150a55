//! Contrastive divergence with one Langevin step (CD-1), with and without the control variate.

use crate::error::Result;
use crate::objective::{Objective, check_batch};
use mvl_flows::{GradientFlow, Langevin};
use mvl_manifold::Energy;
use tch::Tensor;

/// CD-1 with a Langevin step towards q itself (paper eq. 16; Hinton 2002), as a *surrogate*:
/// per sample
///
/// ℓ = (E(x) − E(x̃) + ⟨∇E(x), ξ⟩) / ε,  x̃ = x − ε∇E(x) + ξ held fixed (no gradient),
///
/// whose parameter gradient is the CD-1 update divided by ε. Its expectation is ∇θ J_SM + O(ε)
/// (Taylor expansion of E(x̃) around x); without the control variate ⟨∇E(x), ξ⟩ that gradient
/// estimate has variance growing like 1/ε, with it the variance stays bounded (paper §3.3).
///
/// **This is not a proper objective**: E_p E − E_{p₁} E is not a loss that the model
/// minimises (paper §3.3, footnote 5), so the value of ℓ means nothing and cannot be
/// monitored or used for early stopping; only its gradient is meaningful.
///
/// ```
/// use mvl_objectives::{ContrastiveDivergence, Objective};
/// let cd = ContrastiveDivergence::new(1e-3)?.control_variate(true);
/// assert_eq!(cd.name(), "CD-1-CV");
/// # Ok::<(), mvl_objectives::ObjectiveError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContrastiveDivergence {
    flow: Langevin,
    control_variate: bool,
}

impl ContrastiveDivergence {
    /// CD-1 with a Langevin step of size ε (finite, > 0) and energy scale 1; no control variate.
    pub fn new(eps: f64) -> Result<Self> {
        Ok(Self {
            flow: Langevin::new(eps)?,
            control_variate: false,
        })
    }

    /// Turns the control variate on or off.
    pub fn control_variate(mut self, on: bool) -> Self {
        self.control_variate = on;
        self
    }
}

impl Objective for ContrastiveDivergence {
    fn name(&self) -> &'static str {
        if self.control_variate {
            "CD-1-CV"
        } else {
            "CD-1"
        }
    }

    fn per_sample(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor> {
        check_batch(self.name(), x)?;
        let step = self.flow.step(energy, x)?;
        let surrogate = &step.energy - energy.energy(&step.next.detach());
        let surrogate = match (&step.diffusion, self.control_variate) {
            (Some(cv), true) => surrogate + cv,
            _ => surrogate,
        };
        Ok(surrogate / &step.step_size)
    }
}
