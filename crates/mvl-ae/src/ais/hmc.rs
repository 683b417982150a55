//! The Hamiltonian Monte Carlo transition of AIS with Euclidean latents (paper-spec §4.6).

use super::error::Result;
use super::model::{LogLikelihood, Prior, log_likelihood_and_grad};
use mvl_manifold::row_norm_sq;
use tch::Tensor;

/// Chains at their positions with the log-likelihood and its gradient there, so that each
/// point is evaluated once.
///
/// # Shapes
/// `z`, `grad`: `[b, d]`; `ll`: `[b]`.
pub(crate) struct Evaluated {
    pub z: Tensor,
    pub ll: Tensor,
    pub grad: Tensor,
}

impl Evaluated {
    /// Evaluates log p(x|z) and its gradient at `z`.
    pub fn at(ll: &dyn LogLikelihood, z: Tensor) -> Result<Self> {
        let (value, grad) = log_likelihood_and_grad(ll, &z)?;
        Ok(Self { z, ll: value, grad })
    }

    /// U = −log f_t(z) = −log p(z) − t·log p(x|z), the potential energy, `[b]`.
    fn potential(&self, prior: &Prior, t: f64) -> Tensor {
        -(prior.log_prob(&self.z) + &self.ll * t)
    }

    /// ∇U at the chains, `[b, d]`.
    fn potential_grad(&self, prior: &Prior, t: f64) -> Tensor {
        -(prior.grad_log_prob(&self.z) + &self.grad * t)
    }

    /// Rows of `self` where `mask` (`[b]`, bool) holds, of `other` elsewhere.
    fn select(self, mask: &Tensor, other: Self) -> Self {
        let m = mask.unsqueeze(-1);
        Self {
            z: self.z.where_self(&m, &other.z),
            ll: self.ll.where_self(mask, &other.ll),
            grad: self.grad.where_self(&m, &other.grad),
        }
    }
}

/// One HMC transition targeting f_t(z) = p(z)·p(x|z)^t (paper-spec §4.6): momentum
/// m ~ N(0, I); leapfrog with step ε and L = `position_updates` position updates: a half
/// momentum step and a position step, then L − 1 times a full momentum step and a position
/// step, then a final half momentum step (the authors: L = 11); the end point is accepted iff
/// exp(H₀ − H₁) ≥ u, u ~ U(0, 1), with H = U + |m|²/2 and U = −log f_t (rejected chains stay
/// where they were).
///
/// Returns the new state and the acceptance mask `[b]` (bool). A trajectory that reaches
/// non-finite values is rejected (the comparison is false).
pub(crate) fn transition(
    prior: &Prior,
    ll: &dyn LogLikelihood,
    start: Evaluated,
    t: f64,
    eps: f64,
    position_updates: usize,
) -> Result<(Evaluated, Tensor)> {
    let m0 = start.z.randn_like();
    let h0 = start.potential(prior, t) + row_norm_sq(&m0) * 0.5;
    let mut m = &m0 - start.potential_grad(prior, t) * (eps / 2.0);
    let mut end = Evaluated::at(ll, &start.z + &m * eps)?;
    for _ in 1..position_updates {
        m -= end.potential_grad(prior, t) * eps;
        end = Evaluated::at(ll, &end.z + &m * eps)?;
    }
    m -= end.potential_grad(prior, t) * (eps / 2.0);
    let h1 = end.potential(prior, t) + row_norm_sq(&m) * 0.5;
    let u = h0.rand_like();
    let accept = (h0 - h1).exp().ge_tensor(&u);
    Ok((end.select(&accept, start), accept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ais::tests::seeded;
    use tch::{Device, Kind};

    /// Invariance: prior N(0, I₃), log p(x|z) = −λ|z − a|²/2 with λ = 3 at t = ⅓ gives the
    /// target N(a/2, ½I). From N = 4000 exact draws, 5 transitions with ε = 1 (εω = √2, large
    /// enough that many trajectories are rejected) must keep the sample mean within 5 s.e.
    /// (5·√(0.5/4000) = 0.056 per coordinate) and the variance, pooled over the 3 coordinates,
    /// within 5 s.e. of ½ (s.e. ½·√(2/12000) = 0.0065 → 0.032); false alarm < 1e-5 per check under normality. Power: without the accept/reject step the
    /// pooled variance comes out at 1.015 (measured), 80 s.e. off; a potential gradient
    /// missing the factor t, or with the prior's sign flipped, moves the mean or variance by
    /// more than 0.1. The chains must also move (acceptance in [0.3, 0.95], correlation with
    /// the start below 0.5), which a kernel that always rejects fails.
    #[test]
    fn leaves_its_gaussian_target_invariant() {
        let _seed = seeded(101);
        let opts = (Kind::Double, Device::Cpu);
        let a = Tensor::from_slice(&[1.0f64, -2.0, 0.5]);
        let ll = |z: &Tensor| (z - &a).square().sum_dim_intlist(-1, false, z.kind()) * -1.5;
        let prior = Prior::standard_normal(3).expect("valid");
        let n = 4000;
        let z0 = Tensor::randn([n, 3], opts) * 0.5f64.sqrt() + &a / 2.0;
        let mut state = Evaluated::at(&ll, z0.shallow_clone()).expect("finite");
        let mut accepted = 0.0;
        for _ in 0..5 {
            let (next, acc) = transition(&prior, &ll, state, 1.0 / 3.0, 1.0, 11).expect("step");
            accepted += acc
                .to_kind(Kind::Double)
                .mean(Kind::Double)
                .double_value(&[])
                / 5.0;
            state = next;
        }
        let z = &state.z;
        let mean_err = (z.mean_dim(0, false, Kind::Double) - &a / 2.0).abs().max();
        let var = z.var_dim(0, true, false).mean(Kind::Double);
        let var_err = (var - 0.5).abs().double_value(&[]);
        assert!(mean_err.double_value(&[]) < 0.056, "mean off by {mean_err}");
        assert!(var_err < 0.032, "variance off by {var_err}");
        assert!((0.3..=0.95).contains(&accepted), "acceptance {accepted}");
        let corr = ((z - &a / 2.0) * (&z0 - &a / 2.0)).mean(Kind::Double) / 0.5;
        assert!(corr.double_value(&[]) < 0.5, "correlation {corr}");
    }
}
