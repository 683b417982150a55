//! Training an energy network on a finite sample with early stopping on the validation NLL.
//!
//! On a finite sample the score-matching family is unbounded below for a flexible energy
//! (it grows spikes at the training points), so (i) every batch is drawn from the training
//! points moved by small tangent Gaussian noise of standard deviation σ and projected back to
//! the sphere (≈ vMF noise of concentration 1/σ²), and (ii) every `eval_every` steps the
//! validation NLL — exact, with log Z by quadrature — decides which parameters to keep
//! ([`mvl_train::EarlyStopping`], on the parameter average when `ema` > 0); training stops
//! after `patience` evaluations without improvement. The early-stopping state is checkpointed
//! with the model, so a killed run resumes where it stopped.

use super::density::{Normaliser, nll};
use crate::output::progress;
use anyhow::Result;
use mvl_manifold::row_dot;
use mvl_manifold::{Energy, Manifold, Sphere};
use mvl_objectives::Objective;
use mvl_train::{EarlyStopping, Ema, Evaluation, OptimizerConfig, TrainConfig, train};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Kind, Tensor, nn};

/// Settings of one fit.
#[derive(Debug, Clone, Serialize)]
pub struct FitConfig {
    /// Progress label, e.g. "volcano/mvl/s0".
    pub label: String,
    /// Maximum optimiser steps.
    pub steps: usize,
    /// Batch size.
    pub batch: i64,
    /// RMSProp learning rate.
    pub lr: f64,
    /// Smoothing noise σ (radians); 0 trains on the raw points.
    pub smooth: f64,
    /// Steps between validation evaluations.
    pub eval_every: usize,
    /// Evaluations without improvement before stopping.
    pub patience: usize,
    /// Colatitude nodes of the validation quadrature grid.
    pub val_n_theta: usize,
    /// Seed (each step reseeds from (seed, step)).
    pub seed: u64,
    /// Steps between checkpoints.
    pub checkpoint_every: usize,
    /// Decay of the parameter average that is validated and kept (0: the raw parameters).
    pub ema: f64,
    /// Everything else that identifies the run (dataset, method, network, ε...).
    pub extra: serde_json::Value,
}

impl FitConfig {
    /// The settings of [`train`], identified by `identity` (the whole fit configuration).
    fn train_config(&self, identity: serde_json::Value) -> TrainConfig {
        TrainConfig {
            label: self.label.clone(),
            iterations: self.steps,
            optimizer: OptimizerConfig::TfRmsProp { lr: self.lr },
            seed: Some(self.seed),
            checkpoint_every: self.checkpoint_every,
            extra: identity,
        }
    }
}

/// One validation evaluation.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct EvalPoint {
    /// Steps done.
    pub step: usize,
    /// Validation NLL (nats; +∞ when not finite).
    pub val_nll: f64,
    /// log Z on the validation grid.
    pub log_z: f64,
    /// Mean training loss since the previous evaluation.
    pub train_loss: f64,
}

/// What a fit produced (the var store holds the best parameters afterwards).
#[derive(Debug, Clone, Serialize)]
pub struct FitOutcome {
    /// The validation curve.
    pub curve: Vec<EvalPoint>,
    /// The step of the best validation NLL (0 if none was finite).
    pub best_step: usize,
    /// Steps trained (the last evaluated step).
    pub steps_run: usize,
    /// Where the run resumed from a checkpoint, if it did.
    pub resumed_at: Option<usize>,
    /// Training seconds of earlier invocations when the run resumed (0 otherwise, and when
    /// training ended in an error).
    pub earlier_seconds: f64,
    /// The error that ended training early, if any (non-finite loss); the best parameters
    /// before it are kept.
    pub stopped_by: Option<String>,
}

/// A training batch: `batch` training rows drawn with replacement, each moved by a tangent
/// Gaussian of standard deviation `sigma` and projected back onto the sphere.
///
/// # Shapes
/// `train`: `[N, 3]`; result `[batch, 3]` in `train`'s kind and device.
pub fn smoothed_batch(train: &Tensor, batch: i64, sigma: f64) -> Tensor {
    let n = train.size()[0];
    let idx = Tensor::randint(n, [batch], (Kind::Int64, train.device()));
    let y = train.index_select(0, &idx);
    if sigma <= 0.0 {
        return y;
    }
    let v = y.randn_like() * sigma;
    let tangent = &v - &y * row_dot(&v, &y).unsqueeze(1);
    // Invariant: Sphere::new(2) is valid (n ≥ 1).
    Sphere::new(2).map_or(y.shallow_clone(), |s| s.project(&(&y + tangent)))
}

/// What every validation evaluation records besides its NLL.
#[derive(Debug, Serialize, serde::Deserialize)]
struct ValDetails {
    /// log Z of the energy on the validation quadrature.
    log_z: f64,
}

impl EvalPoint {
    /// The point of an early-stopping evaluation whose details hold `log_z`.
    fn from(e: &Evaluation) -> Self {
        Self {
            step: e.step,
            val_nll: e.score,
            log_z: serde_json::from_value::<ValDetails>(e.details.clone())
                .map_or(f64::NAN, |d| d.log_z),
            train_loss: e.train_loss,
        }
    }
}

/// Trains `energy` (parameters in `vs`) on `objective` with smoothed batches of `train`,
/// early stopping on the NLL of `val` (both `[N, 3]` in the training kind and device),
/// checkpointing under `dir`; leaves the best parameters in `vs`.
pub fn fit(
    objective: &dyn Objective,
    energy: &dyn Energy,
    vs: &mut nn::VarStore,
    data: (&Tensor, &Tensor),
    config: &FitConfig,
    dir: &Path,
) -> Result<FitOutcome> {
    let (train_points, val) = data;
    let train_config = config.train_config(serde_json::to_value(config)?);
    let normaliser = Normaliser::new(config.val_n_theta, val.kind(), val.device())?;
    // The validation's typed errors (an energy or validation set of the wrong width, an empty
    // validation set) cannot appear during training: they are reported here, once.
    nll(energy, val, normaliser.log_z(energy)?)?;
    let checked = "invariant: the validation was checked before training";
    let validate = |_: &nn::VarStore| {
        let log_z = normaliser.log_z(energy).expect(checked);
        let details = ValDetails { log_z };
        (
            nll(energy, val, log_z).expect(checked),
            serde_json::to_value(details).unwrap_or_default(),
        )
    };
    let mut early = EarlyStopping::new(config.eval_every, config.patience, validate)?;
    if config.ema > 0.0 {
        early = early.averaged(Ema::new(config.ema)?);
    }
    let mut bar = progress(config.steps as u64, &config.label);
    let mut step = |_| {
        objective.loss(
            energy,
            &smoothed_batch(train_points, config.batch, config.smooth),
        )
    };
    let observers: &mut [&mut dyn mvl_train::Observer] = &mut [&mut early, &mut bar];
    let result = train(
        &train_config,
        vs,
        &mut step,
        observers,
        Some(&dir.join("checkpoint")),
    );
    let (resumed_at, earlier_seconds, stopped_by) = match result {
        Ok(log) => (log.resumed_at, log.earlier_seconds, None),
        Err(e) if early.best().is_some() => (None, 0.0, Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    early.restore_best(vs)?;
    let curve: Vec<EvalPoint> = early.curve().iter().map(EvalPoint::from).collect();
    Ok(FitOutcome {
        best_step: early.best().map_or(0, |e| e.step),
        steps_run: curve.last().map_or(0, |p| p.step),
        curve,
        resumed_at,
        earlier_seconds,
        stopped_by,
    })
}
