//! Training an energy network on a finite sample with early stopping on the validation NLL.
//!
//! On a finite sample the score-matching family is unbounded below for a flexible energy
//! (it grows spikes at the training points), so (i) every batch is drawn from the training
//! points moved by small tangent Gaussian noise of standard deviation σ and projected back to
//! the sphere (≈ vMF noise of concentration 1/σ²), and (ii) every `eval_every` steps the
//! validation NLL — exact, with log Z by quadrature — decides which parameters to keep;
//! training stops after `patience` evaluations without improvement. The best parameters and
//! the validation curve are saved next to the training checkpoint, so a killed run resumes
//! where it stopped ([`crate::train::train`]) with its early-stopping state.

use super::density::{Normaliser, nll};
use super::state::{EarlyStop, Ema, checkpoint_iteration};
use crate::checkpoint::Checkpoint;
use crate::train::{TrainConfig, train};
use anyhow::Result;
use mvl_manifold::metric::row_dot;
use mvl_manifold::{Energy, Manifold, Sphere};
use mvl_objectives::{Objective, ObjectiveError};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
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
            lr: self.lr,
            seed: self.seed,
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

/// An objective that remembers the mean of its losses since the last [`Metered::take`].
struct Metered<'a> {
    inner: &'a dyn Objective,
    sum: Cell<(f64, usize)>,
}

impl<'a> Metered<'a> {
    fn new(inner: &'a dyn Objective) -> Self {
        Self {
            inner,
            sum: Cell::new((0.0, 0)),
        }
    }

    /// The mean loss since the last call (NaN if none), and a reset.
    fn take(&self) -> f64 {
        let (sum, n) = self.sum.replace((0.0, 0));
        sum / n as f64
    }
}

impl Objective for Metered<'_> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn per_sample(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor, ObjectiveError> {
        self.inner.per_sample(energy, x)
    }

    fn loss(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor, ObjectiveError> {
        let loss = self.inner.loss(energy, x)?;
        let (sum, n) = self.sum.get();
        self.sum.set((sum + loss.double_value(&[]), n + 1));
        Ok(loss)
    }
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

/// What runs after every training step: the parameter average, and every `eval_every`
/// steps the validation NLL of the averaged (or raw) parameters and the early-stopping
/// decision.
struct Monitor<'a> {
    config: &'a FitConfig,
    energy: &'a dyn Energy,
    val: &'a Tensor,
    normaliser: Normaliser,
    metered: &'a Metered<'a>,
    stop: EarlyStop,
    ema: Option<Ema>,
}

impl<'a> Monitor<'a> {
    /// A monitor validating `energy` on `val`, with the restored early-stopping state and
    /// parameter average.
    fn new(
        config: &'a FitConfig,
        energy: &'a dyn Energy,
        val: &'a Tensor,
        metered: &'a Metered<'a>,
        (stop, ema): (EarlyStop, Option<Ema>),
    ) -> Self {
        let normaliser = Normaliser::new(config.val_n_theta, val.kind(), val.device());
        Self {
            config,
            energy,
            val,
            normaliser,
            metered,
            stop,
            ema,
        }
    }

    /// After step `i` (0-based): returns whether to continue.
    fn after_step(&mut self, i: usize, vs: &nn::VarStore) -> Result<bool> {
        let done = i + 1;
        if let Some(avg) = self.ema.as_mut() {
            avg.update(vs);
            if done.is_multiple_of(self.config.checkpoint_every) {
                avg.save(done)?;
            }
        }
        if !done.is_multiple_of(self.config.eval_every) {
            return Ok(true);
        }
        self.swap(vs);
        let log_z = self.normaliser.log_z(self.energy);
        let val_nll = nll(self.energy, self.val, log_z);
        let val_nll = if val_nll.is_finite() {
            val_nll
        } else {
            f64::INFINITY
        };
        let train_loss = self.metered.take();
        let recorded = self.stop.record(
            EvalPoint {
                step: done,
                val_nll,
                log_z,
                train_loss,
            },
            vs,
        );
        self.swap(vs);
        recorded?;
        Ok(self.stop.stale() < self.config.patience)
    }

    /// Exchanges the parameters with their average, if there is one.
    fn swap(&mut self, vs: &nn::VarStore) {
        if let Some(avg) = self.ema.as_mut() {
            avg.swap(vs);
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
    let identity = serde_json::to_value(config)?;
    let train_config = config.train_config(identity.clone());
    let checkpoint = Checkpoint::new(&dir.join("checkpoint"), &train_config)?;
    let resumable = checkpoint_iteration(
        &dir.join("checkpoint"),
        &serde_json::to_value(&train_config)?,
    );
    let metered = Metered::new(objective);
    let stop = EarlyStop::load(dir, identity);
    let ema = (config.ema > 0.0).then(|| Ema::load(dir, config.ema, resumable));
    let mut monitor = Monitor::new(config, energy, val, &metered, (stop, ema));
    let mut batches = |_| smoothed_batch(train_points, config.batch, config.smooth);
    let mut hook = |i: usize, vs: &nn::VarStore| monitor.after_step(i, vs);
    let result = train(
        &metered,
        energy,
        vs,
        &train_config,
        &checkpoint,
        &mut batches,
        &mut hook,
    );
    let stop = monitor.stop;
    let (resumed, stopped_by) = match result {
        Ok(log) => ((log.resumed_at, log.earlier_seconds), None),
        Err(e) if stop.best.is_some() => ((None, 0.0), Some(format!("{e:#}"))),
        Err(e) => return Err(e),
    };
    stop.restore(vs);
    Ok(stop.outcome(resumed, stopped_by))
}
