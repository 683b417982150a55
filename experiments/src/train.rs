//! The authors' Riemannian MVL objective ([`riemannian_mvl`]). Training itself goes through
//! the `mvl-train` crate.

use mvl_flows::RiemannianLangevin;
use mvl_manifold::Manifold;
use mvl_objectives::{MinimumVelocity, ObjectiveError};

/// Riemannian MVL as the authors train it (paper-spec §2.6): Riemannian Langevin towards
/// q^{1/2} with step ε₀, per-row rescaling and the control variate.
pub fn riemannian_mvl<M: Manifold>(
    manifold: M,
    eps: f64,
) -> Result<MinimumVelocity<RiemannianLangevin<M>>, ObjectiveError> {
    let flow = RiemannianLangevin::new(manifold, eps)?
        .energy_scale(0.5)?
        .rescaled(true);
    Ok(MinimumVelocity::new(flow))
}
