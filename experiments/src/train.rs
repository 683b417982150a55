//! The training loop of the density-estimation experiments (any objective; TF1 RMSProp as the
//! authors' code), with progress, checkpoints every few iterations and exact resumption after
//! a kill. The final
//! state stays checkpointed, so rerunning a finished configuration reuses the trained model
//! (delete the checkpoint folder to retrain).

use crate::checkpoint::{Checkpoint, History, seed_iteration};
use crate::output::progress;
use crate::rmsprop::TfRmsProp;
use anyhow::{Context, Result};
use mvl_manifold::Energy;
use mvl_objectives::Objective;
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
    /// The loss at every iteration (NaN only for iterations that a checkpoint written before
    /// histories were recorded did not keep).
    pub losses: Vec<f64>,
    /// Whether the run resumed from a checkpoint, and at which iteration.
    pub resumed_at: Option<usize>,
    /// Training wall-clock seconds, summed over every invocation that worked on the run.
    pub seconds: f64,
    /// The part of `seconds` spent by earlier invocations (0 for a fresh run): what the wall
    /// clock of a resuming invocation misses.
    pub earlier_seconds: f64,
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
    let clock = std::time::Instant::now();
    let mut opt = TfRmsProp::new(vs, config.lr);
    let mut start = 0;
    let mut history = History::default();
    let resumed_at = match checkpoint.restore(vs)? {
        Some(r) => {
            opt.set_state(r.optimizer);
            start = r.iteration;
            history = r.history;
            Some(r.iteration)
        }
        None => None,
    };
    let seconds_before = history.seconds;
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
        history.losses.push(value);
        bar.set_message(format!("loss {value:.4}"));
        bar.inc(1);
        let done = i + 1;
        let stop = !on_iteration(i, vs)?;
        if stop || done % config.checkpoint_every == 0 || done == config.iterations {
            history.seconds = seconds_before + clock.elapsed().as_secs_f64();
            let iteration = if stop { config.iterations } else { done };
            checkpoint.save(vs, opt.state(), iteration, &history)?;
        }
        if stop {
            break;
        }
    }
    bar.finish();
    let mut losses = vec![f64::NAN; history.first];
    losses.extend(history.losses);
    Ok(TrainLog {
        losses,
        resumed_at,
        seconds: seconds_before + clock.elapsed().as_secs_f64(),
        earlier_seconds: seconds_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::inner_product_energy;
    use mvl_manifold::{Manifold, Sphere};
    use tch::{Device, Kind};

    /// Trains the paper's S^1 energy for 6 iterations in `dir`; `kill_at` makes the run fail
    /// after that iteration, as a killed process would stop.
    fn run(dir: &std::path::Path, kill_at: Option<usize>) -> Result<(TrainLog, Tensor)> {
        tch::manual_seed(7);
        let mut vs = nn::VarStore::new(Device::Cpu);
        let energy = inner_product_energy(&vs.root(), 2, &[8]);
        let config = TrainConfig {
            label: "resume-test".into(),
            iterations: 6,
            lr: 1e-2,
            seed: 3,
            checkpoint_every: 2,
            extra: serde_json::json!({}),
        };
        let checkpoint = Checkpoint::new(dir, &config)?;
        let sphere = Sphere::new(1)?;
        let objective = mvl_objectives::MinimumVelocity::riemannian(sphere, 1e-3)?;
        let log = train(
            &objective,
            &energy,
            &mut vs,
            &config,
            &checkpoint,
            &mut |_| sphere.project(&Tensor::randn([64, 2], (Kind::Float, Device::Cpu))),
            &mut |i, _| match kill_at {
                Some(k) if i == k => anyhow::bail!("killed"),
                _ => Ok(true),
            },
        )?;
        let flat: Vec<Tensor> = vs
            .trainable_variables()
            .iter()
            .map(|t| t.flatten(0, -1))
            .collect();
        let params = Tensor::cat(&flat, 0);
        Ok((log, params))
    }

    /// A run killed after iteration 3 (last checkpoint at 2) and restarted ends with the same
    /// parameters and the same loss history as an uninterrupted run; its time is summed.
    #[test]
    fn a_killed_run_resumes_exactly_with_its_history() {
        let _seed = mvl_manifold::testing::seeded(7);
        let root = std::env::temp_dir().join(format!("mvl-train-{}", std::process::id()));
        let (whole, killed) = (root.join("whole"), root.join("killed"));
        let (log, params) = run(&whole, None).expect("uninterrupted run");
        assert!(run(&killed, Some(3)).is_err());
        let (resumed, resumed_params) = run(&killed, None).expect("resumed run");
        assert_eq!(resumed.resumed_at, Some(2));
        assert_eq!(resumed.losses, log.losses);
        assert_eq!(resumed.losses.len(), 6);
        assert_eq!(log.earlier_seconds, 0.0);
        assert!(resumed.earlier_seconds > 0.0 && resumed.earlier_seconds < resumed.seconds);
        let values = |t: &Tensor| Vec::<f32>::try_from(t).expect("f32");
        assert_eq!(values(&resumed_params), values(&params));
        let _ = std::fs::remove_dir_all(&root);
    }
}
