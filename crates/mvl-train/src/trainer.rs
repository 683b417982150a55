//! The training loop, kept apart from the step it repeats (the split argmin makes between a
//! solver's iteration and its executor): a [`Step`] computes one loss; [`train`] seeds,
//! differentiates, updates, records, calls the [`Observer`]s and checkpoints. Training with
//! several parameter groups, each with its own loss and optimiser, is [`crate::train_groups`];
//! [`train`] is its one-group case.

use crate::checkpoint::{Checkpoint, ObserverState};
use crate::error::Result;
use crate::optim::OptimizerConfig;
use crate::run::{PhaseFailure, Plan, run};
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
    /// Called after all phases of iteration `iteration` of a run with parameter groups
    /// ([`crate::train_groups`]) with every phase's loss and every group's store, in the order
    /// of the groups (also for one group). The default passes the first phase's loss and the
    /// first group's store to [`Observer::after_step`].
    fn after_phases(
        &mut self,
        iteration: usize,
        losses: &[f64],
        stores: &[&nn::VarStore],
    ) -> Result<Control> {
        match (losses.first(), stores.first()) {
            (Some(&loss), Some(vs)) => self.after_step(iteration, loss, vs),
            _ => Ok(Control::Continue),
        }
    }
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
    /// The loss of every iteration, including those of earlier invocations (of the first
    /// phase when there are several).
    pub losses: Vec<f64>,
    /// The loss of every phase of every iteration, `[phase][iteration]` (one phase per
    /// parameter group; `phase_losses[0] == losses`).
    pub phase_losses: Vec<Vec<f64>>,
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
/// A non-finite loss stops the run with [`crate::TrainError::NonFiniteLoss`] before anything of
/// that iteration is applied; the checkpoint keeps the last good state (parameters are also
/// checked before every save). This is [`crate::train_groups`] with one unnamed group
/// (checkpoint files `model.ot` and `optimizer.ot`).
pub fn train(
    config: &TrainConfig,
    vs: &mut nn::VarStore,
    step: &mut dyn Step,
    observers: &mut [&mut dyn Observer],
    checkpoint: Option<&Path>,
) -> Result<TrainLog> {
    let plan = Plan {
        label: &config.label,
        iterations: config.iterations,
        seed: config.seed,
        checkpoint_every: config.checkpoint_every,
        groups: vec![(String::new(), config.optimizer)],
    };
    let mut phases = |i: usize, _: usize| step.loss(i).map_err(PhaseFailure::Objective);
    let checkpoint = checkpoint
        .map(|dir| Checkpoint::new(dir, config))
        .transpose()?;
    run(&plan, &mut [vs], &mut phases, observers, checkpoint)
}

#[cfg(test)]
mod tests;
