//! The minimum velocity learning (MVL) objective for any gradient flow.

use crate::error::Result;
use crate::objective::{Objective, check_batch, ensure_finite_loss, guarded};
use mvl_flows::{GradientFlow, Langevin, RiemannianLangevin};
use mvl_manifold::{Energy, Manifold};
use tch::Tensor;

/// Minimum velocity learning with the sampler `F` (paper §3.2, eq. 10-11): one step of `F`
/// towards q^{1/2} ∝ exp(−E/2), started at the data; per sample
///
/// ℓᵢ = (E(xᵢ) − E(xᵢ⁻) + ⟨∇E(xᵢ), ξᵢ⟩) / εᵢ,
///
/// where ξᵢ is the step's diffusion increment ([`mvl_flows::Step::diffusion`]; the term is
/// the control variate of eq. 11 and is left out without it) and εᵢ the step size of row i
/// (per-row rescaling folded back: paper-spec §2.1 step 6, §2.7 with c = 1/ε). The parameter
/// gradient passes through the sampler step (paper-spec §2.1).
///
/// **What it estimates.** With `F` targeting q^{1/2} (energy scale 0.5), the mean of ℓ tends,
/// as ε → 0, to ½ times the θ-dependent part of ‖grad_p KL_q‖² in the flow's geometry:
/// - [`Langevin`]: J_SM = E_p[½|∇E|² − ΔE] (score matching, paper eq. 7-10), bias O(ε);
/// - Riemannian Langevin: E_p[½|∇E|²_g − Δ_g E] (Riemannian score matching, eq. 17);
/// - SVGD: ½(KSD²_V(p, q) − T), T the kernel-trace term that does not depend on the model;
/// - SPOS: the blend of those two;
/// - birth-death Langevin: the Riemannian SM objective plus c times the Fisher-Rao term in
///   expectation, with a different parameter gradient (see [`crate::WassersteinFisherRao`]).
///
/// The variance of ℓ stays bounded as ε → 0 with the control variate and grows like 1/ε
/// without it (paper §3.2.1, eq. 11).
///
/// ```
/// use mvl_manifold::GaussianEnergy;
/// use mvl_objectives::{MinimumVelocity, Objective};
/// use tch::{Device, Kind, Tensor};
/// tch::manual_seed(0);
/// let opts = (Kind::Double, Device::Cpu);
/// let energy = GaussianEnergy::new(&Tensor::zeros([2], opts), 1.0)?; // E = |x|²/2
/// let mvl = MinimumVelocity::langevin(1e-4)?;
/// let x = Tensor::randn([20_000, 2], opts);
/// // J_SM = E[½|x|² − 2] = 1 − 2 = −1 for x ~ N(0, I).
/// let value = mvl.loss(&energy, &x)?.double_value(&[]);
/// assert!((value + 1.0).abs() < 0.05);
/// # Ok::<(), mvl_objectives::ObjectiveError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MinimumVelocity<F> {
    flow: F,
    pub(crate) control_variate: bool,
}

impl<F: GradientFlow> MinimumVelocity<F> {
    /// MVL with `flow`, which must target q^{1/2} (energy scale 0.5); control variate on.
    pub fn new(flow: F) -> Self {
        Self {
            flow,
            control_variate: true,
        }
    }

    /// Turns the control variate ⟨∇E, ξ⟩ on or off.
    pub fn control_variate(mut self, on: bool) -> Self {
        self.control_variate = on;
        self
    }

    /// The sampler.
    pub fn flow(&self) -> &F {
        &self.flow
    }
}

impl MinimumVelocity<Langevin> {
    /// Euclidean MVL: Langevin towards q^{1/2} with step ε and no per-row rescaling (the
    /// authors' `mpf_euc` also rescales, paper-spec §2.6: use [`MinimumVelocity::new`] with
    /// `Langevin::new(ε)?.energy_scale(0.5)?.rescaled(true)` for that).
    pub fn langevin(eps: f64) -> Result<Self> {
        Ok(Self::new(Langevin::new(eps)?.energy_scale(0.5)?))
    }
}

impl<M: Manifold> MinimumVelocity<RiemannianLangevin<M>> {
    /// Riemannian MVL as the authors train it (`mpf_sph`, paper-spec §2.6; paper §4.1,
    /// eq. 17-18): Riemannian Langevin on `manifold` towards q^{1/2} (energy scale ½) with
    /// base step ε (finite, > 0), per-row rescaling εᵢ = ε / max(1, |v|²) and the control
    /// variate.
    ///
    /// ```
    /// use mvl_manifold::Sphere;
    /// use mvl_objectives::{MinimumVelocity, Objective};
    /// let mvl = MinimumVelocity::riemannian(Sphere::new(2)?, 1e-3)?;
    /// assert_eq!(mvl.name(), "MVL-CV");
    /// assert!(mvl.flow().rule().rescale && mvl.flow().rule().scale == 0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn riemannian(manifold: M, eps: f64) -> Result<Self> {
        let flow = RiemannianLangevin::new(manifold, eps)?
            .energy_scale(0.5)?
            .rescaled(true);
        Ok(Self::new(flow))
    }
}

impl<F: GradientFlow> Objective for MinimumVelocity<F> {
    fn name(&self) -> &'static str {
        if self.control_variate {
            "MVL-CV"
        } else {
            "MVL"
        }
    }

    fn per_sample(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor> {
        check_batch(self.name(), energy, x)?;
        let proposal = Proposal::Differentiable;
        energy_drop(&self.flow, energy, x, self.control_variate, proposal).map(|(terms, _)| terms)
    }

    /// The loss and E(x⁻) at the proposals of the sampler step, `[b]` (with its graph).
    fn loss_and_moved_energy(
        &self,
        energy: &dyn Energy,
        x: &Tensor,
    ) -> Result<(Tensor, Option<Tensor>)> {
        check_batch(self.name(), energy, x)?;
        let proposal = Proposal::Differentiable;
        let (terms, moved) = guarded(self.name(), x, || {
            energy_drop(&self.flow, energy, x, self.control_variate, proposal)
        })?;
        ensure_finite_loss(self.name(), &terms)?;
        Ok((terms.mean(terms.kind()), Some(moved)))
    }
}

/// Whether the parameter gradient passes through the flow's proposal x⁻.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proposal {
    /// Through x⁻ (minimum velocity learning, paper-spec §2.1).
    Differentiable,
    /// x⁻ held fixed (contrastive divergence, paper eq. 16).
    Detached,
}

/// The one place where a flow becomes an objective: one step of `flow` from the data and,
/// per row, the energy drop over it with the control variate of paper eq. 11,
///
/// ℓᵢ = (E(xᵢ) − E(x⁻ᵢ) + ⟨∇E(xᵢ), ξᵢ⟩) / εᵢ
///
/// (the control-variate term only when `control_variate` is on and the flow has a
/// diffusion; εᵢ the flow's per-row step). [`MinimumVelocity`] and
/// [`crate::ContrastiveDivergence`] differ only in the flow's target and in `proposal`.
/// Returns the per-row terms and E(x⁻).
pub(crate) fn energy_drop<F: GradientFlow + ?Sized>(
    flow: &F,
    energy: &dyn Energy,
    x: &Tensor,
    control_variate: bool,
    proposal: Proposal,
) -> Result<(Tensor, Tensor)> {
    let step = flow.step(energy, x)?;
    let next = match proposal {
        Proposal::Differentiable => step.next,
        Proposal::Detached => step.next.detach(),
    };
    let moved = energy.energy(&next);
    let drop = &step.energy - &moved;
    let drop = match (&step.diffusion, control_variate) {
        (Some(cv), true) => drop + cv,
        _ => drop,
    };
    Ok((drop / &step.step_size, moved))
}
