//! The five methods of the comparison, each run on one split: (a) Riemannian MVL, (b)
//! birth-death (Wasserstein-Fisher-Rao) MVL, (c) exact Riemannian score matching — the same
//! energy network, smoothing and early stopping — (d) a vMF mixture by EM and (e) a vMF
//! kernel density estimate. Every method chooses its hyperparameters on the validation set;
//! the test set is evaluated once, at the end.

use super::baselines::{Candidate, MixtureSearch, VmfKde, mean_nll, select_mixture};
use super::fit::{FitConfig, fit};
use super::net::{FourierEnergy, NetConfig};
use super::split::Split;
use anyhow::Result;
use mvl_manifold::integration::{CHUNK_ROWS, converged_log_z, energies, nll};
use mvl_manifold::{Sphere, TensorDistribution};
use mvl_objectives::{BatchKde, MinimumVelocity, Objective, ScoreMatching, WassersteinFisherRao};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tch::{Device, Kind, Tensor, nn};

/// A method of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// (a) Riemannian minimum velocity learning.
    Mvl,
    /// (b) Riemannian MVL plus the birth-death (Fisher-Rao) term.
    BirthDeath,
    /// (c) Exact Riemannian score matching.
    ExactSm,
    /// (d) vMF mixture fitted by EM, K and a κ cap chosen on validation.
    VmfMixture,
    /// (e) vMF kernel density estimate, κ chosen on validation.
    VmfKde,
}

impl Method {
    /// All five, in the order (a)-(e).
    pub const ALL: [Method; 5] = [
        Method::Mvl,
        Method::BirthDeath,
        Method::ExactSm,
        Method::VmfMixture,
        Method::VmfKde,
    ];

    /// The name in results ("mvl", "birth-death", ...).
    pub fn name(self) -> &'static str {
        match self {
            Method::Mvl => "mvl",
            Method::BirthDeath => "birth-death",
            Method::ExactSm => "exact-sm",
            Method::VmfMixture => "vmf-mixture",
            Method::VmfKde => "vmf-kde",
        }
    }
}

/// How the birth-death objective estimates its Fisher-Rao part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FrEstimator {
    /// The expected jump term with a vMF KDE of the training set as log ρ (the
    /// validation-chosen KDE widened by the smoothing noise).
    Expected,
    /// The expected jump term with the flows crate's rates (Gaussian kernel in one
    /// stereographic chart of the batch, median bandwidth).
    ExpectedBatchChart,
    /// MVL over the flows crate's birth-death sampler (jumps drawn).
    Sampled,
}

/// Settings shared by the network methods (a)-(c).
#[derive(Debug, Clone, Serialize)]
pub struct NetMethodConfig {
    /// The network.
    pub net: NetConfig,
    /// Training (label, seed and extra are filled in per run).
    pub fit: FitConfig,
    /// Sampler step ε₀ of the MVL objectives.
    pub eps: f64,
    /// Fisher-Rao weight c of the birth-death objective (1/rad²).
    pub fr_weight: f64,
    /// Its estimator.
    pub fr_estimator: FrEstimator,
    /// The smoothing σ (radians) that widens the KDE in the [`FrEstimator::Expected`] rates:
    /// `None` takes the batches' σ, so that both parts target the same distribution; a
    /// smaller σ keeps the Fisher-Rao target sharper than the smoothed batches it is
    /// evaluated on.
    pub fr_smooth: Option<f64>,
    /// Tolerance on log Z for the test evaluation (grids doubled until met).
    pub log_z_tol: f64,
    /// Device of the network.
    #[serde(skip)]
    pub device: Device,
}

/// The outcome of one (dataset, method, seed) run.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Test NLL (nats w.r.t. area).
    pub test_nll: f64,
    /// Validation NLL of the chosen model.
    pub val_nll: f64,
    /// Optimiser steps (networks), EM iterations × candidates (mixture), 0 (KDE).
    pub steps: usize,
    /// What was chosen (hyperparameters, best step, quadrature grid).
    pub chosen: serde_json::Value,
    /// Training seconds spent by earlier invocations of a resumed run (0 otherwise).
    pub earlier_seconds: f64,
    /// How: the validation curve or the candidates.
    pub details: serde_json::Value,
    /// ln p on the `[M, 3]` map points given to the run (for plots).
    #[serde(skip)]
    pub map: Tensor,
}

/// A fitted density's ln p on `[M, 3]` points.
type LogProb = Box<dyn Fn(&Tensor) -> Tensor>;

/// Runs a closed-form baseline, (d) or (e).
pub fn run_baseline(
    method: Method,
    split: &Split,
    seed: u64,
    search: &MixtureSearch,
    map_points: &Tensor,
) -> Result<Outcome> {
    let (log_prob, candidates, chosen): (LogProb, Vec<Candidate>, serde_json::Value) = match method
    {
        Method::VmfKde => {
            let (kde, cands) = VmfKde::select(&split.train, &split.val)?;
            let chosen = serde_json::json!({ "kappa": kde.kappa() });
            (Box::new(move |y| kde.log_prob(y)), cands, chosen)
        }
        _ => {
            let (mix, cands) = select_mixture(&split.train, &split.val, search, seed)?;
            let chosen = serde_json::json!({ "components": mix.num_components(),
                "kappa_max": mix.components().concentration().max().double_value(&[]) });
            (Box::new(move |y| mix.log_prob(y)), cands, chosen)
        }
    };
    let steps = if method == Method::VmfMixture {
        candidates.len() / search.kappa_caps.len().max(1) * search.iters as usize
    } else {
        0
    };
    Ok(Outcome {
        test_nll: mean_nll(&log_prob(&split.test)),
        val_nll: mean_nll(&log_prob(&split.val)),
        steps,
        chosen,
        earlier_seconds: 0.0,
        details: serde_json::json!({ "candidates": candidates }),
        map: log_prob(map_points),
    })
}

/// The concentration of the training batches' density when the KDE of concentration κ
/// estimates the data density and batches add tangent noise of standard deviation σ: the
/// variances add, 1/κ' = 1/κ + σ² (exact for vMF noise to first order in 1/κ), so both parts
/// of the birth-death objective target the same smoothed distribution.
pub fn smoothed_kappa(kappa: f64, sigma: f64) -> f64 {
    1.0 / (1.0 / kappa + sigma * sigma)
}

/// The objective of a network method.
fn objective(
    method: Method,
    config: &NetMethodConfig,
    split: &Split,
) -> Result<Box<dyn Objective>> {
    let (eps, c) = (config.eps, config.fr_weight);
    let sphere = Sphere::new(2)?;
    Ok(match (method, config.fr_estimator) {
        (Method::Mvl, _) => Box::new(MinimumVelocity::riemannian(sphere, eps)?),
        (Method::ExactSm, _) => Box::new(ScoreMatching::new(sphere)),
        (Method::BirthDeath, FrEstimator::Sampled) => {
            Box::new(WassersteinFisherRao::sampled(sphere, eps, c)?)
        }
        (Method::BirthDeath, FrEstimator::ExpectedBatchChart) => Box::new(
            WassersteinFisherRao::new(sphere, eps, BatchKde::new(sphere), c)?,
        ),
        (Method::BirthDeath, FrEstimator::Expected) => {
            let (kde, _) = VmfKde::select(&split.train, &split.val)?;
            let points = split.train.to_kind(Kind::Float).to_device(config.device);
            let kappa = smoothed_kappa(kde.kappa(), config.fr_smooth.unwrap_or(config.fit.smooth));
            let density = mvl_objectives::VmfKde::new(&points, kappa)?;
            Box::new(WassersteinFisherRao::new(sphere, eps, density, c)?)
        }
        (other, _) => anyhow::bail!("{} is not a network method", other.name()),
    })
}

/// Runs a network method, (a)-(c): trains with early stopping under `dir`, then normalises
/// on converged quadrature grids and evaluates validation and test NLL.
pub fn run_network(
    method: Method,
    split: &Split,
    config: &NetMethodConfig,
    dir: PathBuf,
    map_points: &Tensor,
) -> Result<Outcome> {
    let dev = config.device;
    let to_dev = |t: &Tensor| t.to_kind(Kind::Float).to_device(dev);
    let objective = objective(method, config, split)?;
    tch::manual_seed(config.fit.seed as i64);
    let mut vs = nn::VarStore::new(dev);
    let energy = FourierEnergy::new(&vs.root(), &config.net);
    let mut fit_config = config.fit.clone();
    fit_config.extra = serde_json::json!({ "method": method, "net": config.net, "eps": config.eps,
        "fr_weight": config.fr_weight, "fr_estimator": config.fr_estimator, "fr_smooth": config.fr_smooth,
        "extra": config.fit.extra });
    let outcome = fit(
        objective.as_ref(),
        &energy,
        &mut vs,
        (&to_dev(&split.train), &to_dev(&split.val)),
        &fit_config,
        &dir,
    )?;
    let log_z = converged_log_z(
        &energy,
        &Sphere::new(2)?,
        (Kind::Float, dev),
        config.fit.val_n_theta,
        config.log_z_tol,
        1600,
    )?;
    if log_z.change > config.log_z_tol {
        eprintln!(
            "warning: {}: log Z did not converge (its last change is {:.2e} > {:.0e} at n_θ = {}); \
             the NLLs carry that error",
            config.fit.label, log_z.change, config.log_z_tol, log_z.resolution
        );
    }
    let val_nll = nll(&energy, &to_dev(&split.val), log_z.value)?;
    let test_nll = nll(&energy, &to_dev(&split.test), log_z.value)?;
    let map = -energies(&energy, &to_dev(map_points), (Kind::Float, dev), CHUNK_ROWS) - log_z.value;
    let log_z_json = serde_json::json!({ "value": log_z.value, "n_theta": log_z.resolution, "change": log_z.change });
    Ok(Outcome {
        test_nll,
        val_nll,
        steps: outcome.steps_run,
        chosen: serde_json::json!({ "best_step": outcome.best_step, "log_z": log_z_json, "stopped_by": outcome.stopped_by,
            "resumed_at": outcome.resumed_at }),
        earlier_seconds: outcome.earlier_seconds,
        details: serde_json::json!({ "curve": outcome.curve, "config": config }),
        map,
    })
}
