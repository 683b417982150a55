//! The state a fit keeps besides the training checkpoint, saved next to it so that a killed
//! run resumes exactly: the early-stopping record (validation curve and best parameters) and
//! the exponential moving average of the parameters.

use super::fit::{EvalPoint, FitOutcome};
use crate::output::write_json;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tch::{Tensor, nn};

/// The early-stopping state, persisted in `<dir>/progress.json` and `<dir>/best.ot`.
pub(super) struct EarlyStop {
    dir: PathBuf,
    config: serde_json::Value,
    /// The validation curve so far.
    pub curve: Vec<EvalPoint>,
    /// The best parameters so far.
    pub best: Option<HashMap<String, Tensor>>,
}

#[derive(Serialize, Deserialize)]
struct Progress {
    config: serde_json::Value,
    curve: Vec<EvalPoint>,
}

impl EarlyStop {
    /// The saved state of the same configuration, or a fresh one.
    pub(super) fn load(dir: &Path, config: serde_json::Value) -> Self {
        let fresh = Self {
            dir: dir.to_path_buf(),
            config: config.clone(),
            curve: vec![],
            best: None,
        };
        let Ok(text) = std::fs::read_to_string(dir.join("progress.json")) else {
            return fresh;
        };
        let Ok(saved) = serde_json::from_str::<Progress>(&text) else {
            return fresh;
        };
        let Ok(best) = Tensor::load_multi(dir.join("best.ot")) else {
            return fresh;
        };
        if saved.config != config {
            return fresh;
        }
        Self {
            curve: saved.curve,
            best: Some(best.into_iter().collect()),
            ..fresh
        }
    }

    pub(super) fn best_index(&self) -> Option<usize> {
        let finite = self
            .curve
            .iter()
            .enumerate()
            .filter(|(_, p)| p.val_nll.is_finite());
        finite
            .min_by(|a, b| a.1.val_nll.total_cmp(&b.1.val_nll))
            .map(|(i, _)| i)
    }

    /// Evaluations since the best one.
    pub(super) fn stale(&self) -> usize {
        self.best_index()
            .map_or(self.curve.len(), |b| self.curve.len() - 1 - b)
    }

    /// Records an evaluation (replacing any of the same or later steps, after a resume) and
    /// saves the parameters when they are the best so far.
    pub(super) fn record(&mut self, point: EvalPoint, vs: &nn::VarStore) -> Result<()> {
        self.curve.retain(|p| p.step < point.step);
        self.curve.push(point);
        if self.best_index() == Some(self.curve.len() - 1) {
            let copy: HashMap<String, Tensor> = vs
                .variables()
                .into_iter()
                .map(|(k, v)| (k, v.detach().copy()))
                .collect();
            let named: Vec<(&str, &Tensor)> = copy.iter().map(|(k, v)| (k.as_str(), v)).collect();
            std::fs::create_dir_all(&self.dir)?;
            Tensor::save_multi(&named, self.dir.join("best.ot"))
                .context("saving the best parameters")?;
            self.best = Some(copy);
        }
        let progress = Progress {
            config: self.config.clone(),
            curve: self.curve.clone(),
        };
        write_json(&self.dir.join("progress.json"), &progress)
    }

    /// The outcome of the fit this state tracked: `resumed_at` and `earlier_seconds` as in
    /// [`crate::train::TrainLog`].
    pub(super) fn outcome(
        self,
        (resumed_at, earlier_seconds): (Option<usize>, f64),
        stopped_by: Option<String>,
    ) -> FitOutcome {
        let best_step = self.best_index().map_or(0, |i| self.curve[i].step);
        let steps_run = self.curve.last().map_or(0, |p| p.step);
        FitOutcome {
            curve: self.curve,
            best_step,
            steps_run,
            resumed_at,
            earlier_seconds,
            stopped_by,
        }
    }

    /// Copies the best parameters into `vs` (no-op when there are none).
    pub(super) fn restore(&self, vs: &nn::VarStore) {
        let Some(best) = &self.best else { return };
        tch::no_grad(|| {
            for (name, mut var) in vs.variables() {
                if let Some(saved) = best.get(&name) {
                    var.copy_(saved);
                }
            }
        });
    }
}

/// An exponential moving average of the trainable parameters (Polyak averaging):
/// θ̄ ← d·θ̄ + (1 − d)·θ after every step. Averaging removes most of the noise that small
/// batches inject into the relative masses of separated modes, to which the score-matching
/// family is blind. Saved to `<dir>/ema.ot` at every checkpoint.
pub(super) struct Ema {
    decay: f64,
    path: PathBuf,
    shadow: Vec<(String, Tensor)>,
}

impl Ema {
    /// The average saved at `checkpoint_iteration` (when there is one), or an empty one that
    /// starts from the parameters of its first update.
    pub(super) fn load(dir: &Path, decay: f64, checkpoint_iteration: Option<usize>) -> Self {
        let path = dir.join("ema.ot");
        let saved = Tensor::load_multi(&path).ok().filter(|s| {
            let at = s
                .iter()
                .find(|(k, _)| k == "iteration")
                .map(|(_, t)| t.int64_value(&[]) as usize);
            at.is_some() && at == checkpoint_iteration
        });
        let shadow = saved.map_or_else(Vec::new, |s| {
            s.into_iter().filter(|(k, _)| k != "iteration").collect()
        });
        Self {
            decay,
            path,
            shadow,
        }
    }

    /// One averaging step with the current parameters of `vs`.
    pub(super) fn update(&mut self, vs: &nn::VarStore) {
        tch::no_grad(|| {
            if self.shadow.is_empty() {
                self.shadow = vs
                    .variables()
                    .into_iter()
                    .map(|(k, v)| (k, v.detach().copy()))
                    .collect();
                return;
            }
            let vars = vs.variables();
            for (name, avg) in &mut self.shadow {
                if let Some(v) = vars.get(name) {
                    let _ = avg
                        .g_mul_scalar_(self.decay)
                        .g_add_(&(v * (1.0 - self.decay)));
                }
            }
        });
    }

    /// Exchanges the parameters of `vs` with the average (call twice to undo).
    pub(super) fn swap(&mut self, vs: &nn::VarStore) {
        let vars = vs.variables();
        tch::no_grad(|| {
            for (name, avg) in &mut self.shadow {
                if let Some(v) = vars.get(name) {
                    let current = v.detach().copy();
                    v.shallow_clone().copy_(avg);
                    *avg = current;
                }
            }
        });
    }

    /// Saves the average with the iteration it belongs to.
    pub(super) fn save(&self, iteration: usize) -> Result<()> {
        let it = Tensor::from(iteration as i64);
        let mut named: Vec<(&str, &Tensor)> =
            self.shadow.iter().map(|(k, v)| (k.as_str(), v)).collect();
        named.push(("iteration", &it));
        Tensor::save_multi(&named, &self.path).context("saving the parameter average")
    }
}

/// The iteration of the training checkpoint in `dir`, if there is one of the configuration
/// `config` (as [`crate::checkpoint::Checkpoint`] records it).
pub(super) fn checkpoint_iteration(dir: &Path, config: &serde_json::Value) -> Option<usize> {
    let text = std::fs::read_to_string(dir.join("meta.json")).ok()?;
    let meta: serde_json::Value = serde_json::from_str(&text).ok()?;
    (meta["config"] == *config).then(|| meta["iteration"].as_u64().map(|i| i as usize))?
}
