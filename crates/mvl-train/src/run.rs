//! The training loop shared by [`crate::train`] and [`crate::train_groups`].

use crate::checkpoint::{Checkpoint, History, ObserverState, State};
use crate::error::{Result, TrainError};
use crate::groups::PhaseError;
use crate::optim::OptimizerConfig;
use crate::seed::{Stream, reseed};
use crate::trainer::{Control, Observer, TrainLog};
use mvl_objectives::ObjectiveError;
use tch::{Tensor, nn};

/// What a phase's loss failed with: an objective's typed error ([`crate::train`]) or any
/// error ([`crate::train_groups`]).
pub(crate) enum PhaseFailure {
    Objective(ObjectiveError),
    Other(PhaseError),
}

/// The run-independent settings of the loop.
pub(crate) struct Plan<'a> {
    pub label: &'a str,
    pub iterations: usize,
    pub seed: Option<u64>,
    pub checkpoint_every: usize,
    /// (name, optimiser) of each group; one unnamed group for [`crate::train`].
    pub groups: Vec<(String, OptimizerConfig)>,
}

impl Plan<'_> {
    /// The label of phase `k` in messages.
    fn phase_label(&self, k: usize) -> String {
        match self.groups[k].0.as_str() {
            "" => self.label.to_owned(),
            name => format!("{} (phase {name})", self.label),
        }
    }

    fn fail(&self, failure: PhaseFailure, iteration: usize, k: usize) -> TrainError {
        let label = self.label.to_owned();
        match failure {
            PhaseFailure::Objective(source) => TrainError::Step {
                label,
                iteration,
                source,
            },
            PhaseFailure::Other(source) => TrainError::Phase {
                label,
                iteration,
                phase: self.groups[k].0.clone(),
                source,
            },
        }
    }
}

/// The step function of the loop.
pub(crate) type PhaseFn<'a> =
    dyn FnMut(usize, usize) -> std::result::Result<Tensor, PhaseFailure> + 'a;

/// The training loop shared by [`crate::train`] and [`crate::train_groups`].
pub(crate) fn run(
    plan: &Plan,
    stores: &mut [&mut nn::VarStore],
    step: &mut PhaseFn,
    observers: &mut [&mut dyn Observer],
    checkpoint: Option<Checkpoint>,
) -> Result<TrainLog> {
    let clock = std::time::Instant::now();
    if plan.checkpoint_every == 0 {
        return Err(TrainError::InvalidParameter {
            name: "checkpoint interval",
            value: 0.0,
            reason: "must be ≥ 1",
        });
    }
    let mut optimizers = plan
        .groups
        .iter()
        .zip(stores.iter())
        .map(|((_, config), vs)| config.build(vs))
        .collect::<Result<Vec<_>>>()?;
    let restored = checkpoint.as_ref().map(|c| c.restore(stores)).transpose()?;
    let (start, mut history) = match restored.flatten() {
        Some(state) => {
            if !state.stopped && state.iteration > plan.iterations {
                return Err(TrainError::CheckpointAhead {
                    dir: checkpoint
                        .as_ref()
                        .map(|c| c.dir().to_path_buf())
                        .unwrap_or_default(),
                    saved: state.iteration,
                    requested: plan.iterations,
                });
            }
            for (optimizer, saved) in optimizers.iter_mut().zip(state.optimizers) {
                optimizer.load_state(saved)?;
            }
            restore_observers(observers, state.observers)?;
            // A stopped run is complete, whatever length is asked for now.
            let start = if state.stopped {
                plan.iterations
            } else {
                state.iteration
            };
            (start, state.history)
        }
        None => (0, History::default()),
    };
    history.phase_losses.resize(plan.groups.len(), vec![]);
    let stores: Vec<&nn::VarStore> = stores.iter().map(|vs| &**vs).collect();
    let earlier_seconds = history.seconds;
    observers
        .iter_mut()
        .for_each(|o| o.begin(start, plan.iterations));
    let mut saved_at = (start > 0).then_some(start);
    for i in start..plan.iterations {
        if let Some(seed) = plan.seed {
            reseed(seed, Stream::Iteration(i));
        }
        let mut losses = Vec::with_capacity(stores.len());
        for (k, (optimizer, vs)) in optimizers.iter_mut().zip(&stores).enumerate() {
            let loss = step(i, k).map_err(|f| plan.fail(f, i, k))?;
            let value = loss.double_value(&[]);
            if !value.is_finite() {
                return Err(TrainError::NonFiniteLoss {
                    label: plan.phase_label(k),
                    iteration: i,
                    value,
                    checkpoint: describe(checkpoint.as_ref(), saved_at),
                });
            }
            stores.iter().for_each(|s| zero_grads(s));
            loss.backward();
            optimizer.step(vs);
            losses.push(value);
        }
        history.losses.push(losses[0]);
        for (series, &value) in history.phase_losses.iter_mut().zip(&losses) {
            series.push(value);
        }
        let mut stop = false;
        for o in observers.iter_mut() {
            stop |= o.after_phases(i, &losses, &stores)? == Control::Stop;
        }
        let done = i + 1;
        let due = stop || done % plan.checkpoint_every == 0 || done == plan.iterations;
        if let Some(ck) = checkpoint.as_ref().filter(|_| due) {
            ensure_finite_parameters(plan.label, &stores, i, describe(Some(ck), saved_at))?;
            history.seconds = earlier_seconds + clock.elapsed().as_secs_f64();
            let state = State {
                iteration: done,
                stopped: stop,
                optimizers: optimizers.iter().map(|o| o.state()).collect(),
                observers: observers.iter().map(|o| o.save()).collect(),
                history: history.clone(),
            };
            ck.save(&stores, &state)?;
            saved_at = Some(state.iteration);
        }
        if stop {
            break;
        }
    }
    Ok(TrainLog {
        losses: history.losses,
        phase_losses: history.phase_losses,
        resumed_at: (start > 0).then_some(start),
        seconds: earlier_seconds + clock.elapsed().as_secs_f64(),
        earlier_seconds,
    })
}

/// Zeroes the gradients of the trainable variables of `vs` (so that one phase's backward
/// pass never adds to what another phase left).
fn zero_grads(vs: &nn::VarStore) {
    tch::no_grad(|| {
        for var in vs.trainable_variables() {
            let mut g = var.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
    });
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
    label: &str,
    stores: &[&nn::VarStore],
    iteration: usize,
    checkpoint: String,
) -> Result<()> {
    for vs in stores {
        let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, v) in vars {
            if v.isfinite().all().int64_value(&[]) == 0 {
                return Err(TrainError::NonFiniteLoss {
                    label: format!("{label} (parameter {name})"),
                    iteration,
                    value: f64::NAN,
                    checkpoint,
                });
            }
        }
    }
    Ok(())
}
