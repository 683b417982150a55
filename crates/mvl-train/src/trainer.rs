//! The training loop, kept apart from the step it repeats (the split argmin makes between a
//! solver's iteration and its executor): a [`Step`] computes one loss; [`train`] seeds,
//! differentiates, updates, records, calls the [`Observer`]s and checkpoints.

use crate::checkpoint::{Checkpoint, History, ObserverState, State};
use crate::error::{Result, TrainError};
use crate::optim::OptimizerConfig;
use crate::seed::{Stream, reseed};
use mvl_objectives::ObjectiveError;
use serde::Serialize;
use std::path::Path;
use tch::{Tensor, nn};

/// Settings of one run. Serialised, they identify the run's checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct TrainConfig {
    /// A label for messages and errors (e.g. "S1").
    pub label: String,
    /// Optimiser steps.
    pub iterations: usize,
    /// The optimiser.
    pub optimizer: OptimizerConfig,
    /// When set, libtorch's global generator is reseeded from (seed, iteration) before every
    /// step ([`fn@crate::seed::derive`]), which makes a resumed run continue exactly; when
    /// `None`, the loop never touches the generator.
    pub seed: Option<u64>,
    /// Iterations between checkpoints (≥ 1).
    pub checkpoint_every: usize,
    /// Anything else that identifies the run (data, batch size, network, ...).
    pub extra: serde_json::Value,
}

/// One iteration's loss: what the loop repeats.
pub trait Step {
    /// The loss of iteration `iteration` (0-based), differentiable w.r.t. the trained
    /// parameters.
    fn loss(&mut self, iteration: usize) -> std::result::Result<Tensor, ObjectiveError>;
}

impl<F: FnMut(usize) -> std::result::Result<Tensor, ObjectiveError>> Step for F {
    fn loss(&mut self, iteration: usize) -> std::result::Result<Tensor, ObjectiveError> {
        self(iteration)
    }
}

/// What an observer tells the loop after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// End the run here (it counts as complete).
    Stop,
}

/// Something that watches the run after every step (validation, early stopping, parameter
/// averages, progress), with state that is checkpointed with the model. Not `Send`:
/// observers usually borrow the model being trained.
pub trait Observer: std::fmt::Debug {
    /// Called once before the first step with the first iteration (non-zero after a resume)
    /// and the run's length.
    fn begin(&mut self, _start: usize, _iterations: usize) {}
    /// Called after the update of iteration `iteration` (0-based) whose loss was `loss`.
    fn after_step(&mut self, iteration: usize, loss: f64, vs: &nn::VarStore) -> Result<Control>;
    /// The state to checkpoint.
    fn save(&self) -> ObserverState {
        ObserverState::default()
    }
    /// Restores a state saved by [`Observer::save`].
    fn restore(&mut self, _state: ObserverState) -> Result<()> {
        Ok(())
    }
}

/// What a run produced besides the trained parameters.
#[derive(Debug, Clone, Serialize)]
pub struct TrainLog {
    /// The loss of every iteration, including those of earlier invocations.
    pub losses: Vec<f64>,
    /// Whether the run resumed from a checkpoint, and at which iteration.
    pub resumed_at: Option<usize>,
    /// Training wall-clock seconds, summed over every invocation that worked on the run.
    pub seconds: f64,
    /// The part of `seconds` spent by earlier invocations (0 for a fresh run).
    pub earlier_seconds: f64,
}

/// Trains the trainable variables of `vs` on the losses of `step` with `config`'s optimiser,
/// calling `observers` after every step, checkpointing into `checkpoint` (a folder) every
/// `config.checkpoint_every` iterations and at the end, and resuming from it when it holds
/// this configuration's checkpoint.
///
/// A non-finite loss stops the run with [`TrainError::NonFiniteLoss`] before anything of
/// that iteration is applied; the checkpoint keeps the last good state (parameters are also
/// checked before every save).
pub fn train(
    config: &TrainConfig,
    vs: &mut nn::VarStore,
    step: &mut dyn Step,
    observers: &mut [&mut dyn Observer],
    checkpoint: Option<&Path>,
) -> Result<TrainLog> {
    let clock = std::time::Instant::now();
    if config.checkpoint_every == 0 {
        return Err(TrainError::InvalidParameter {
            name: "checkpoint interval",
            value: 0.0,
            reason: "must be ≥ 1",
        });
    }
    let mut optimizer = config.optimizer.build(vs)?;
    let checkpoint = checkpoint
        .map(|dir| Checkpoint::new(dir, config))
        .transpose()?;
    let (start, mut history) = match checkpoint.as_ref().map(|c| c.restore(vs)).transpose()? {
        Some(Some(state)) => {
            optimizer.load_state(state.optimizer)?;
            restore_observers(observers, state.observers)?;
            (state.iteration, state.history)
        }
        _ => (0, History::default()),
    };
    let earlier_seconds = history.seconds;
    observers
        .iter_mut()
        .for_each(|o| o.begin(start, config.iterations));
    let mut saved_at = (start > 0).then_some(start);
    for i in start..config.iterations {
        if let Some(seed) = config.seed {
            reseed(seed, Stream::Iteration(i));
        }
        let loss = step.loss(i).map_err(|source| TrainError::Step {
            label: config.label.clone(),
            iteration: i,
            source,
        })?;
        let value = loss.double_value(&[]);
        if !value.is_finite() {
            return Err(TrainError::NonFiniteLoss {
                label: config.label.clone(),
                iteration: i,
                value,
                checkpoint: describe(checkpoint.as_ref(), saved_at),
            });
        }
        loss.backward();
        optimizer.step(vs);
        history.losses.push(value);
        let mut stop = false;
        for o in observers.iter_mut() {
            stop |= o.after_step(i, value, vs)? == Control::Stop;
        }
        let done = i + 1;
        let due = stop || done % config.checkpoint_every == 0 || done == config.iterations;
        if let Some(ck) = checkpoint.as_ref().filter(|_| due) {
            ensure_finite_parameters(config, vs, i, describe(Some(ck), saved_at))?;
            history.seconds = earlier_seconds + clock.elapsed().as_secs_f64();
            let state = State {
                // A stopped run is complete: rerunning it resumes at the end.
                iteration: if stop { config.iterations } else { done },
                optimizer: optimizer.state(),
                observers: observers.iter().map(|o| o.save()).collect(),
                history: history.clone(),
            };
            ck.save(vs, &state)?;
            saved_at = Some(state.iteration);
        }
        if stop {
            break;
        }
    }
    Ok(TrainLog {
        losses: history.losses,
        resumed_at: (start > 0).then_some(start),
        seconds: earlier_seconds + clock.elapsed().as_secs_f64(),
        earlier_seconds,
    })
}

fn restore_observers(
    observers: &mut [&mut dyn Observer],
    states: Vec<ObserverState>,
) -> Result<()> {
    if states.len() != observers.len() {
        return Err(TrainError::StateMismatch {
            what: "observers".into(),
            reason: format!(
                "checkpoint has {}, the run has {}",
                states.len(),
                observers.len()
            ),
        });
    }
    observers
        .iter_mut()
        .zip(states)
        .try_for_each(|(o, s)| o.restore(s))
}

fn describe(checkpoint: Option<&Checkpoint>, at: Option<usize>) -> String {
    match (checkpoint, at) {
        (Some(ck), Some(i)) => format!("iteration {i} in {}", ck.dir().display()),
        _ => "none".into(),
    }
}

/// Fails with [`TrainError::NonFiniteLoss`] (naming the variable) if an update made a
/// parameter non-finite, so that no checkpoint ever holds one.
fn ensure_finite_parameters(
    config: &TrainConfig,
    vs: &nn::VarStore,
    iteration: usize,
    checkpoint: String,
) -> Result<()> {
    let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, v) in vars {
        if v.isfinite().all().int64_value(&[]) == 0 {
            return Err(TrainError::NonFiniteLoss {
                label: format!("{} (parameter {name})", config.label),
                iteration,
                value: f64::NAN,
                checkpoint,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
