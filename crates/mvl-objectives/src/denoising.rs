//! Denoising score matching (Vincent 2011) and its control-variate form (paper eq. 12-15).

use crate::error::Result;
use crate::objective::{Objective, check_batch, positive};
use mvl_manifold::Energy;
use mvl_manifold::{row_dot, row_norm_sq};
use tch::Tensor;

/// Denoising score matching with noise level σ (ε = σ²), scaled to estimate J_SM:
/// with z ~ N(0, I), x̃ = x + σz and the DSM loss L̂ = |σz − ε∇E(x̃)|² (paper eq. 12 with
/// ψ = −ε∇E; paper-spec §2.9), per sample
///
/// ℓ = (L̂ − ε|z|²) / (2ε²) = ½|∇E(x̃)|² − ⟨z, ∇E(x̃)⟩/σ,
///
/// and with the control variate (paper eq. 15, subtracting the first-order noise term at
/// the clean x): ℓ = ½|∇E(x̃)|² − ⟨z, ∇E(x̃) − ∇E(x)⟩/σ. Both have mean J_SM + O(ε); the
/// variance is O(1) with the control variate and grows like 1/ε without it (eq. 13-14).
/// ε|z|² does not depend on the model, so ℓ has the gradient of the usual DSM loss / (2ε²).
/// The algebraic form avoids the cancellation of L̂ − ε|z|² in floating point.
///
/// ```
/// use mvl_manifold::GaussianEnergy;
/// use mvl_objectives::{DenoisingScoreMatching, Objective};
/// use tch::{Device, Kind, Tensor};
/// tch::manual_seed(0);
/// let opts = (Kind::Double, Device::Cpu);
/// let energy = GaussianEnergy::new(&Tensor::zeros([2], opts), 1.0)?;
/// let dsm = DenoisingScoreMatching::new(1e-3)?.control_variate(true);
/// let x = Tensor::randn([20_000, 2], opts);
/// let value = dsm.loss(&energy, &x)?.double_value(&[]);
/// assert!((value + 1.0).abs() < 0.05, "{value}"); // J_SM = −1 for a standard normal
/// # Ok::<(), mvl_objectives::ObjectiveError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenoisingScoreMatching {
    sigma: f64,
    control_variate: bool,
}

impl DenoisingScoreMatching {
    /// Noise level σ (finite, > 0); without the control variate.
    pub fn new(sigma: f64) -> Result<Self> {
        Ok(Self {
            sigma: positive("sigma", sigma)?,
            control_variate: false,
        })
    }

    /// Turns the control variate on or off.
    pub fn control_variate(mut self, on: bool) -> Self {
        self.control_variate = on;
        self
    }
}

impl Objective for DenoisingScoreMatching {
    fn name(&self) -> &'static str {
        if self.control_variate {
            "DSM-CV"
        } else {
            "DSM"
        }
    }

    fn per_sample(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor> {
        check_batch(self.name(), energy, x)?;
        let z = x.randn_like();
        let noisy_grad = energy.grad(&(x + &z * self.sigma));
        let shift = if self.control_variate {
            &noisy_grad - energy.grad(x)
        } else {
            noisy_grad.shallow_clone()
        };
        Ok(row_norm_sq(&noisy_grad) / 2.0 - row_dot(&z, &shift) / self.sigma)
    }
}
