//! Training with several parameter groups, each with its own loss and optimiser, updated one
//! after the other within an iteration (the implicit VAE alternates an encoder-decoder step
//! on the −ELBO with an energy step on the minimum velocity loss, paper-spec §4.3-4.4).
//!
//! Iteration i runs the phases k = 0, 1, … in order: the [`PhaseStep`] computes the loss of
//! phase k (after the updates of the earlier phases of the same iteration, so phase k sees
//! the freshly updated groups), every group's gradients are zeroed, the loss is
//! back-propagated, and only group k's optimiser steps. A loss therefore never moves another
//! group's parameters, even when its graph reaches them.

use crate::checkpoint::Checkpoint;
use crate::error::{Result, TrainError};
use crate::optim::OptimizerConfig;
use crate::run::{PhaseFailure, Plan, run};
use crate::trainer::{Observer, TrainLog};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Tensor, nn};

/// The error a phase's loss may fail with (any error type, boxed).
pub type PhaseError = Box<dyn std::error::Error + Send + Sync>;

/// The losses of one iteration of a run with parameter groups: what the loop repeats.
pub trait PhaseStep {
    /// The loss of phase `phase` (0-based, the index of the group it trains) of iteration
    /// `iteration` (0-based), differentiable with respect to that group's parameters. Called
    /// in phase order, after the updates of the earlier phases of the same iteration.
    fn loss(&mut self, iteration: usize, phase: usize) -> std::result::Result<Tensor, PhaseError>;
}

impl<F, E> PhaseStep for F
where
    F: FnMut(usize, usize) -> std::result::Result<Tensor, E>,
    E: Into<PhaseError>,
{
    fn loss(&mut self, iteration: usize, phase: usize) -> std::result::Result<Tensor, PhaseError> {
        self(iteration, phase).map_err(Into::into)
    }
}

/// One parameter group: its name (files `model-NAME.ot`, `optimizer-NAME.ot` in checkpoints;
/// ASCII letters, digits, `-` and `_`) and its optimiser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupConfig {
    /// The group's (and its phase's) name, e.g. "autoencoder" or "energy".
    pub name: String,
    /// Its optimiser (each group has its own instance and state).
    pub optimizer: OptimizerConfig,
}

/// Settings of a run with parameter groups. Serialised, they identify the run's checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct GroupsConfig {
    /// A label for messages and errors.
    pub label: String,
    /// Iterations (each runs every phase once).
    pub iterations: usize,
    /// The groups, in phase order.
    pub groups: Vec<GroupConfig>,
    /// As [`crate::TrainConfig::seed`]: libtorch's generator is reseeded from (seed,
    /// iteration) before the first phase of every iteration.
    pub seed: Option<u64>,
    /// Iterations between checkpoints (≥ 1).
    pub checkpoint_every: usize,
    /// Anything else that identifies the run.
    pub extra: serde_json::Value,
}

/// Trains each group's store in `stores` (in the order of `config.groups`) on the losses of
/// its phase (module docs), calling `observers` after every iteration
/// ([`Observer::after_phases`]), checkpointing every group's parameters and optimiser state
/// into `checkpoint` every `config.checkpoint_every` iterations and at the end, and resuming
/// from it exactly when it holds this configuration's checkpoint.
///
/// Errors: [`TrainError::InvalidGroup`] for no group, a bad or repeated name or a missing
/// store; [`TrainError::Phase`] when a loss fails; [`TrainError::NonFiniteLoss`] (its label
/// names the phase) when a loss is not finite. The checkpoint then keeps the last good
/// state; the earlier phases of the failing iteration were already applied in memory.
pub fn train_groups(
    config: &GroupsConfig,
    stores: &mut [&mut nn::VarStore],
    step: &mut dyn PhaseStep,
    observers: &mut [&mut dyn Observer],
    checkpoint: Option<&Path>,
) -> Result<TrainLog> {
    check_groups(&config.groups, stores.len())?;
    let plan = Plan {
        label: &config.label,
        iterations: config.iterations,
        seed: config.seed,
        checkpoint_every: config.checkpoint_every,
        groups: config
            .groups
            .iter()
            .map(|g| (g.name.clone(), g.optimizer))
            .collect(),
    };
    let names = config.groups.iter().map(|g| g.name.clone()).collect();
    let checkpoint = checkpoint
        .map(|dir| Checkpoint::with_groups(dir, config, names))
        .transpose()?;
    let mut phases = |i: usize, k: usize| step.loss(i, k).map_err(PhaseFailure::Other);
    run(&plan, stores, &mut phases, observers, checkpoint)
}

fn invalid(name: &str, reason: &'static str) -> TrainError {
    TrainError::InvalidGroup {
        name: name.to_owned(),
        reason,
    }
}

/// Fails with [`TrainError::InvalidGroup`] unless there is at least one name and the names
/// are distinct, non-empty ASCII letters, digits, `-` and `_` (so that they make safe file
/// names).
pub(crate) fn check_names(names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Err(invalid("", "a run needs at least one parameter group"));
    }
    for (k, name) in names.iter().enumerate() {
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || !name.chars().all(ok) {
            return Err(invalid(
                name,
                "names are non-empty ASCII letters, digits, - or _",
            ));
        }
        if names[..k].contains(name) {
            return Err(invalid(name, "names must be distinct"));
        }
    }
    Ok(())
}

fn check_groups(groups: &[GroupConfig], stores: usize) -> Result<()> {
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    check_names(&names)?;
    if stores != groups.len() {
        let reason = "give exactly one variable store per group, in the order of the groups";
        return Err(invalid(&groups[0].name, reason));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
