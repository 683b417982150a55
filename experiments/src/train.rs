//! The training loop of the density-estimation experiments (any objective; TF1 RMSProp as the
//! authors' code), with progress, checkpoints every few iterations and exact resumption after
//! a kill; and the authors' Riemannian MVL objective ([`riemannian_mvl`]). The final
//! state stays checkpointed, so rerunning a finished configuration reuses the trained model
//! (delete the checkpoint folder to retrain).

use crate::checkpoint::{Checkpoint, seed_iteration};
use crate::output::progress;
use crate::rmsprop::TfRmsProp;
use anyhow::{Context, Result};
use mvl_flows::RiemannianLangevin;
use mvl_manifold::{Energy, Manifold};
use mvl_objectives::{MinimumVelocity, Objective, ObjectiveError};
use serde::Serialize;
use tch::{Tensor, nn};

/// Settings of one training run.
#[derive(Debug, Clone, Serialize)]
pub struct TrainConfig {
    /// A label for progress messages and the checkpoint (e.g. "S1").
    pub label: String,
    /// Optimiser steps.
    pub iterations: usize,
    /// RMSProp learning rate.
    pub lr: f64,
    /// Seed; iteration i reseeds libtorch from (seed, i).
    pub seed: u64,
    /// Iterations between checkpoints.
    pub checkpoint_every: usize,
    /// Anything else that identifies the run (data, batch size, network...).
    pub extra: serde_json::Value,
}

/// What a run produced besides the trained parameters.
#[derive(Debug, Clone, Serialize)]
pub struct TrainLog {
    /// The loss at every iteration (NaN for iterations done before a resume).
    pub losses: Vec<f64>,
    /// Whether the run resumed from a checkpoint, and at which iteration.
    pub resumed_at: Option<usize>,
}

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

/// Trains `energy` (parameters in `vs`) by minimising `objective` on batches from
/// `data(iteration)`; `on_iteration(iteration, vs)` is called after every step (for
/// validation and early stopping; return false to stop).
pub fn train(
    objective: &dyn Objective,
    energy: &dyn Energy,
    vs: &mut nn::VarStore,
    config: &TrainConfig,
    checkpoint: &Checkpoint,
    data: &mut dyn FnMut(usize) -> Tensor,
    on_iteration: &mut dyn FnMut(usize, &nn::VarStore) -> Result<bool>,
) -> Result<TrainLog> {
    let mut opt = TfRmsProp::new(vs, config.lr);
    let mut start = 0;
    let resumed_at = match checkpoint.restore(vs)? {
        Some(r) => {
            opt.set_state(r.optimizer);
            start = r.iteration;
            Some(r.iteration)
        }
        None => None,
    };
    let mut losses = vec![f64::NAN; start];
    let mut bar = progress(config.iterations as u64, &config.label);
    bar.set_position(start as u64);
    for i in start..config.iterations {
        seed_iteration(config.seed, i);
        let batch = data(i);
        let loss = objective
            .loss(energy, &batch)
            .with_context(|| format!("{}: iteration {i}", config.label))?;
        loss.backward();
        opt.step(vs);
        let value = loss.double_value(&[]);
        losses.push(value);
        bar.set_message(format!("loss {value:.4}"));
        bar.inc(1);
        let done = i + 1;
        let stop = !on_iteration(i, vs)?;
        if stop || done % config.checkpoint_every == 0 || done == config.iterations {
            checkpoint.save(vs, opt.state(), if stop { config.iterations } else { done })?;
        }
        if stop {
            break;
        }
    }
    bar.finish();
    Ok(TrainLog { losses, resumed_at })
}
