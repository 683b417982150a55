//! The state of a run's chains and the one transition step they take.

use super::error::{AisError, Result};
use super::hmc::{self, Evaluated};
use super::model::{self, LogLikelihood, Prior};
use super::{Ais, langevin};
use mvl_manifold::Sphere;
use tch::{Kind, Tensor};

/// The chains of a run, with what their kernel keeps between transitions.
pub(crate) enum Chains {
    /// HMC: positions with log p(x|z) and its gradient.
    Hmc(Evaluated),
    /// Langevin on `sphere`: positions `y` and log p(x|y).
    Sphere {
        sphere: Sphere,
        y: Tensor,
        ll: Tensor,
    },
}

impl Chains {
    /// The chains at the prior draws `z`, evaluated for their kernel.
    pub fn start(prior: &Prior, log_lik: &dyn LogLikelihood, z: Tensor) -> Result<Self> {
        Ok(match *prior {
            Prior::StandardNormal { .. } => Chains::Hmc(Evaluated::at(log_lik, z)?),
            Prior::UniformSphere(sphere) => {
                let ll = model::log_likelihood(log_lik, &z)?;
                Chains::Sphere { sphere, y: z, ll }
            }
        })
    }

    /// log p(x|z) at the current positions, `[b]`.
    pub fn log_likelihood(&self) -> &Tensor {
        match self {
            Chains::Hmc(e) => &e.ll,
            Chains::Sphere { ll, .. } => ll,
        }
    }

    /// Fails with [`AisError::NonFinite`] where log p(x|z) (or, for HMC, its cached gradient)
    /// is not finite at the current positions, before transition `k`.
    pub fn check_finite(&self, k: usize) -> Result<()> {
        check_finite("log-likelihood", self.log_likelihood(), k)?;
        if let Chains::Hmc(state) = self {
            check_finite("log-likelihood gradient", &state.grad, k)?;
        }
        Ok(())
    }

    /// The chains' positions.
    pub fn positions(self) -> Tensor {
        match self {
            Chains::Hmc(e) => e.z,
            Chains::Sphere { y, .. } => y,
        }
    }

    /// One transition targeting f_t with step `eps`; returns the chains after it and the
    /// mean acceptance.
    pub fn transition(
        self,
        ais: &Ais,
        log_lik: &dyn LogLikelihood,
        t: f64,
        eps: f64,
    ) -> Result<(Self, f64)> {
        let steps = ais.inner_steps;
        Ok(match self {
            Chains::Hmc(state) => {
                let (next, accepted) = hmc::transition(&ais.prior, log_lik, state, t, eps, steps)?;
                let acc = accepted.to_kind(Kind::Double).mean(Kind::Double);
                (Chains::Hmc(next), acc.double_value(&[]))
            }
            Chains::Sphere { sphere, y, .. } => {
                let (y, acc) =
                    langevin::transition(sphere, &ais.prior, log_lik, &y, t, eps, steps)?;
                let ll = model::log_likelihood(log_lik, &y)?;
                (Chains::Sphere { sphere, y, ll }, acc)
            }
        })
    }
}

/// Fails with [`AisError::NonFinite`] if some row of `t` (`[b]` or `[b, d]`) is not finite
/// (before transition `k`), naming the first such row and its first bad value.
fn check_finite(what: &'static str, t: &Tensor, k: usize) -> Result<()> {
    let bad = t.isfinite().logical_not().view([t.size()[0], -1]);
    let rows = bad.any_dim(1, false).nonzero();
    if rows.size()[0] == 0 {
        return Ok(());
    }
    let row = rows.int64_value(&[0, 0]);
    let values = t.get(row).view([-1]);
    let col = bad.get(row).nonzero().int64_value(&[0, 0]);
    Err(AisError::NonFinite {
        what,
        transition: k,
        row,
        value: values.double_value(&[col]),
    })
}
