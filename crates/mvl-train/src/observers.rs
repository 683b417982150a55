//! Observers for common needs: a parameter average ([`Ema`]) and early stopping on a
//! validation score ([`EarlyStopping`]), both checkpointed with the run.

use crate::checkpoint::ObserverState;
use crate::error::{Result, TrainError, unit_interval};
use crate::trainer::{Control, Observer};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

/// Copies of all variables of `vs` (detached), by name, sorted by name.
fn snapshot(vs: &nn::VarStore) -> Vec<(String, Tensor)> {
    let mut vars: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(k, v)| (k, v.detach().copy()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

/// Fails with [`TrainError::StateMismatch`] unless `saved` (sorted by name) holds exactly the
/// variables of `vs`, with their shapes, kinds and devices: a state restored from a damaged
/// or forged checkpoint may not.
fn check_snapshot(what: &str, vs: &nn::VarStore, saved: &[(String, Tensor)]) -> Result<()> {
    let layout = |(name, t): (&String, &Tensor)| (name.clone(), t.size(), t.kind(), t.device());
    let mut want: Vec<_> = vs.variables().iter().map(layout).collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    let got: Vec<_> = saved.iter().map(|(k, t)| layout((k, t))).collect();
    if got == want {
        return Ok(());
    }
    Err(TrainError::StateMismatch {
        what: what.into(),
        reason: format!("saved (name, shape, kind, device) {got:?}, the model has {want:?}"),
    })
}

/// Copies `saved` into the variables of `vs` with the same names, after [`check_snapshot`].
fn load_into(what: &str, vs: &nn::VarStore, saved: &[(String, Tensor)]) -> Result<()> {
    check_snapshot(what, vs, saved)?;
    let vars = vs.variables();
    tch::no_grad(|| {
        for (name, t) in saved {
            if let Some(v) = vars.get(name) {
                v.shallow_clone().copy_(t);
            }
        }
    });
    Ok(())
}

/// An exponential moving average of the parameters (Polyak averaging):
/// θ̄ ← d·θ̄ + (1 − d)·θ after every step, starting from the parameters after the first step.
#[derive(Debug)]
pub struct Ema {
    decay: f64,
    shadow: Vec<(String, Tensor)>,
}

impl Ema {
    /// An average with decay `decay` ∈ [0, 1).
    pub fn new(decay: f64) -> Result<Self> {
        Ok(Self {
            decay: unit_interval("EMA decay", decay)?,
            shadow: vec![],
        })
    }

    /// Exchanges the parameters of `vs` with the average (call twice to undo); no-op before
    /// the first update.
    ///
    /// Errors: [`TrainError::StateMismatch`] when the average (restored from a checkpoint)
    /// does not hold exactly the variables of `vs`.
    pub fn swap(&mut self, vs: &nn::VarStore) -> Result<()> {
        if self.shadow.is_empty() {
            return Ok(());
        }
        let current = snapshot(vs);
        load_into("EMA", vs, &self.shadow)?;
        self.shadow = current;
        Ok(())
    }

    fn update(&mut self, vs: &nn::VarStore) -> Result<()> {
        if self.shadow.is_empty() {
            self.shadow = snapshot(vs);
            return Ok(());
        }
        check_snapshot("EMA", vs, &self.shadow)?;
        let vars = vs.variables();
        tch::no_grad(|| {
            for (name, avg) in &mut self.shadow {
                if let Some(v) = vars.get(name) {
                    let _ = avg
                        .g_mul_scalar_(self.decay)
                        .g_add_(&(v * (1.0 - self.decay)));
                }
            }
        });
        Ok(())
    }
}

impl Observer for Ema {
    fn after_step(&mut self, _: usize, _: f64, vs: &nn::VarStore) -> Result<Control> {
        self.update(vs)?;
        Ok(Control::Continue)
    }

    fn save(&self) -> ObserverState {
        ObserverState {
            json: serde_json::Value::Null,
            tensors: self
                .shadow
                .iter()
                .map(|(k, t)| (k.clone(), t.shallow_clone()))
                .collect(),
        }
    }

    fn restore(&mut self, state: ObserverState) -> Result<()> {
        self.shadow = state.tensors;
        self.shadow.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(())
    }
}

/// One validation: the score (lower is better; non-finite counts as +∞) and what the
/// validation function reported with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Steps done when it was taken.
    pub step: usize,
    /// The score (+∞ when the validation gave a non-finite value).
    pub score: f64,
    /// Mean training loss since the previous evaluation.
    pub train_loss: f64,
    /// Whatever else the validation function reported (e.g. log Z).
    pub details: serde_json::Value,
}

/// Early stopping: every `every` steps, scores the parameters (or their [`Ema`] average) with
/// a validation function, keeps a copy of the best, and stops the run after `patience`
/// evaluations without improvement. After the run, [`EarlyStopping::restore_best`] puts the
/// best parameters back.
pub struct EarlyStopping<V> {
    every: usize,
    patience: usize,
    validate: V,
    average: Option<Ema>,
    curve: Vec<Evaluation>,
    best: Option<Vec<(String, Tensor)>>,
    loss_sum: (f64, usize),
}

impl<V> std::fmt::Debug for EarlyStopping<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarlyStopping")
            .field("every", &self.every)
            .field("patience", &self.patience)
            .field("average", &self.average)
            .field("curve", &self.curve)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Saved {
    curve: Vec<Evaluation>,
    loss_sum: (f64, usize),
    has_best: bool,
}

impl<V: FnMut(&nn::VarStore) -> (f64, serde_json::Value)> EarlyStopping<V> {
    /// Validates with `validate` every `every` (≥ 1) steps; stops after `patience` (≥ 1)
    /// evaluations without a better score.
    pub fn new(every: usize, patience: usize, validate: V) -> Result<Self> {
        for (name, v) in [("evaluation interval", every), ("patience", patience)] {
            if v == 0 {
                let reason = "must be ≥ 1";
                return Err(TrainError::InvalidParameter {
                    name,
                    value: 0.0,
                    reason,
                });
            }
        }
        Ok(Self {
            every,
            patience,
            validate,
            average: None,
            curve: vec![],
            best: None,
            loss_sum: (0.0, 0),
        })
    }

    /// Validates (and keeps) the [`Ema`] average instead of the raw parameters.
    pub fn averaged(mut self, ema: Ema) -> Self {
        self.average = Some(ema);
        self
    }

    /// The evaluations so far.
    pub fn curve(&self) -> &[Evaluation] {
        &self.curve
    }

    /// The best evaluation so far.
    pub fn best(&self) -> Option<&Evaluation> {
        self.best_index().map(|i| &self.curve[i])
    }

    /// Copies the best parameters into `vs`; returns false (and leaves `vs` alone) when no
    /// evaluation had a finite score.
    ///
    /// Errors: [`TrainError::StateMismatch`] when the best parameters (restored from a
    /// checkpoint) are not exactly the variables of `vs`.
    pub fn restore_best(&self, vs: &nn::VarStore) -> Result<bool> {
        let Some(best) = &self.best else {
            return Ok(false);
        };
        load_into("early stopping's best parameters", vs, best)?;
        Ok(true)
    }

    fn best_index(&self) -> Option<usize> {
        let finite = self
            .curve
            .iter()
            .enumerate()
            .filter(|(_, e)| e.score.is_finite());
        finite
            .min_by(|a, b| a.1.score.total_cmp(&b.1.score))
            .map(|(i, _)| i)
    }

    /// Evaluations since the best one.
    fn stale(&self) -> usize {
        self.best_index()
            .map_or(self.curve.len(), |b| self.curve.len() - 1 - b)
    }

    fn evaluate(&mut self, step: usize, vs: &nn::VarStore) {
        let (score, details) = (self.validate)(vs);
        let (sum, n) = std::mem::take(&mut self.loss_sum);
        self.curve.push(Evaluation {
            step,
            score: if score.is_finite() {
                score
            } else {
                f64::INFINITY
            },
            train_loss: sum / n as f64,
            details,
        });
        if self.best_index() == Some(self.curve.len() - 1) {
            self.best = Some(snapshot(vs));
        }
    }
}

impl<V: FnMut(&nn::VarStore) -> (f64, serde_json::Value)> Observer for EarlyStopping<V> {
    fn after_step(&mut self, iteration: usize, loss: f64, vs: &nn::VarStore) -> Result<Control> {
        if let Some(avg) = self.average.as_mut() {
            avg.update(vs)?;
        }
        self.loss_sum = (self.loss_sum.0 + loss, self.loss_sum.1 + 1);
        let done = iteration + 1;
        if !done.is_multiple_of(self.every) {
            return Ok(Control::Continue);
        }
        if let Some(a) = self.average.as_mut() {
            a.swap(vs)?;
        }
        self.evaluate(done, vs);
        if let Some(a) = self.average.as_mut() {
            a.swap(vs)?;
        }
        Ok(if self.stale() < self.patience {
            Control::Continue
        } else {
            Control::Stop
        })
    }

    fn save(&self) -> ObserverState {
        let saved = Saved {
            curve: self.curve.clone(),
            loss_sum: self.loss_sum,
            has_best: self.best.is_some(),
        };
        let mut tensors = vec![];
        if let Some(best) = &self.best {
            tensors.extend(
                best.iter()
                    .map(|(k, t)| (format!("best/{k}"), t.shallow_clone())),
            );
        }
        if let Some(avg) = &self.average {
            tensors.extend(
                avg.shadow
                    .iter()
                    .map(|(k, t)| (format!("avg/{k}"), t.shallow_clone())),
            );
        }
        ObserverState {
            json: serde_json::to_value(saved).unwrap_or_default(),
            tensors,
        }
    }

    fn restore(&mut self, state: ObserverState) -> Result<()> {
        let saved: Saved =
            serde_json::from_value(state.json).map_err(|e| TrainError::StateMismatch {
                what: "early stopping".into(),
                reason: e.to_string(),
            })?;
        let (mut best, mut avg) = (vec![], vec![]);
        for (k, t) in state.tensors {
            if let Some(name) = k.strip_prefix("best/") {
                best.push((name.to_owned(), t));
            } else if let Some(name) = k.strip_prefix("avg/") {
                avg.push((name.to_owned(), t));
            }
        }
        best.sort_by(|a, b| a.0.cmp(&b.0));
        avg.sort_by(|a, b| a.0.cmp(&b.0));
        self.curve = saved.curve;
        self.loss_sum = saved.loss_sum;
        self.best = saved.has_best.then_some(best);
        if let Some(a) = self.average.as_mut() {
            a.shadow = avg;
        }
        Ok(())
    }
}
