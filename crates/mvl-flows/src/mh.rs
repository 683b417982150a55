//! The Metropolis-Hastings correction of (Riemannian) Langevin proposals.
//!
//! For a move y → y⁻ on a manifold, the acceptance probability is
//! min(1, q^s(y⁻)·Q(y | y⁻) / (q^s(y)·Q(y⁻ | y))), with q^s and both proposal densities Q taken
//! with respect to the Riemannian volume. A Langevin proposal made in a chart C is
//! N(x + εv, 2εG⁻¹(x)) in C's coordinates (Lebesgue density, normaliser kept: it depends on
//! the start through G, paper-spec §2.5); dividing by √det G at the end point turns it into a
//! volume density. The reverse move is evaluated in the chart the chain would use from y⁻
//! (`Geometry::local_chart`) with the step size computed at y⁻, so the test is exact even
//! when the move crosses between the sphere's two charts (the authors' code evaluates the
//! reverse move in the forward move's chart, a small deviation noted in paper-spec §2.5).

use crate::error::Result;
use crate::geometry::{ChartState, Geometry};
use crate::langevin::LangevinCore;
use mvl_manifold::{Chart, Energy};
use tch::Tensor;

/// log Q(to | from), with respect to the Riemannian volume, of the Langevin proposal from
/// `from` with per-row step `eps`, at the chart point `to` of `from`'s chart, up to the
/// constant −(d/2) log 4π:
/// −(to − m)ᵀG(to − m)/(4ε) + ½log det G(x) − (d/2) log ε − ½log det G(to), m = x + εv.
pub(crate) fn log_proposal<C: Chart>(from: &ChartState<C>, eps: &Tensor, to: &Tensor) -> Tensor {
    let d = to.size()[1] as f64;
    let diff = to - &from.x - &from.drift * eps.unsqueeze(-1);
    -from.metric.inner(&diff, &diff) / (eps * 4.0) + from.metric.half_log_det()
        - eps.log() * (d / 2.0)
        - from.chart.half_log_det(to)
}

/// The acceptance mask `[b]` (bool, no gradient) of the move from the chart state `fwd` to
/// the chart proposal `proposal` (per-row step `eps`), for uniforms `u` (`[b]`): accept iff
/// log u < log of the Metropolis-Hastings ratio. A non-finite ratio rejects.
pub(crate) fn accept<G: Geometry>(
    core: &LangevinCore,
    geometry: &G,
    energy: &dyn Energy,
    fwd: &ChartState<G::Chart>,
    eps: &Tensor,
    proposal: &Tensor,
    u: &Tensor,
) -> Result<Tensor> {
    let proposal = proposal.detach();
    let y1 = fwd.chart.embed(&proposal);
    let chart1 = geometry.local_chart(&y1)?;
    let rev = ChartState::evaluate(
        "Metropolis-Hastings",
        geometry,
        chart1,
        energy,
        &y1,
        core.rule.scale,
    )?;
    let eps1 = rev.step_sizes(&core.rule, core.by);
    let back = rev.chart.coords(&fwd.input.detach());
    let s = core.rule.scale;
    let log_ratio = (&fwd.energy - &rev.energy) * s + log_proposal(&rev, &eps1, &back)
        - log_proposal(fwd, eps, &proposal);
    Ok(u.log().lt_tensor(&log_ratio.detach()))
}
