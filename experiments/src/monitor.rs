//! The training observer of the experiment binaries: the progress bar with the phase losses,
//! and every `every` iterations (and at the last) an evaluation whose results form a curve,
//! kept in the checkpoint so that a resumed run has its whole curve.

use crate::output::Progress;
use mvl_train::{Control, Observer, ObserverState, TrainError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tch::nn;

/// An evaluation after a number of iterations (its argument): a curve point or a message.
pub type Evaluate<'a, P> = Box<dyn Fn(usize) -> Result<P, String> + 'a>;

/// Progress and a periodically evaluated curve of a run.
pub struct Monitor<'a, P> {
    evaluate: Evaluate<'a, P>,
    describe: fn(&P) -> String,
    every: usize,
    iterations: usize,
    progress: Progress,
    /// The curve: one point per evaluation, in order.
    pub curve: Vec<P>,
}

impl<P> std::fmt::Debug for Monitor<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("every", &self.every)
            .field("points", &self.curve.len())
            .finish()
    }
}

impl<'a, P> Monitor<'a, P> {
    /// Shows `progress`, and after every `every`-th iteration and the last one adds
    /// `evaluate(iterations done)` to the curve; the progress message shows the phase losses
    /// and `describe` of the latest point. A failed evaluation stops the run with
    /// [`TrainError::Observer`] (the last checkpoint is kept).
    pub fn new(
        evaluate: Evaluate<'a, P>,
        describe: fn(&P) -> String,
        every: usize,
        progress: Progress,
    ) -> Self {
        Self {
            evaluate,
            describe,
            every,
            iterations: usize::MAX,
            progress,
            curve: Vec::new(),
        }
    }
}

impl<P: Serialize + DeserializeOwned> Observer for Monitor<'_, P> {
    fn begin(&mut self, start: usize, iterations: usize) {
        self.iterations = iterations;
        self.progress.begin(start, iterations);
    }

    fn after_step(
        &mut self,
        iteration: usize,
        loss: f64,
        vs: &nn::VarStore,
    ) -> mvl_train::Result<Control> {
        self.after_phases(iteration, &[loss], &[vs])
    }

    fn after_phases(
        &mut self,
        iteration: usize,
        losses: &[f64],
        _: &[&nn::VarStore],
    ) -> mvl_train::Result<Control> {
        let done = iteration + 1;
        if done.is_multiple_of(self.every) || done == self.iterations {
            let point = (self.evaluate)(done).map_err(|message| TrainError::Observer {
                label: "monitoring".into(),
                iteration,
                message,
            })?;
            self.curve.push(point);
        }
        let shown: Vec<String> = losses.iter().map(|l| format!("{l:.3}")).collect();
        let last = self
            .curve
            .last()
            .map_or(String::new(), |p| format!(" | {}", (self.describe)(p)));
        self.progress
            .set_message(format!("loss {}{last}", shown.join(" / ")));
        self.progress.step_done(iteration);
        Ok(Control::Continue)
    }

    fn save(&self) -> ObserverState {
        ObserverState {
            json: serde_json::to_value(&self.curve).unwrap_or_default(),
            tensors: vec![],
        }
    }

    fn restore(&mut self, state: ObserverState) -> mvl_train::Result<()> {
        self.curve = serde_json::from_value(state.json).map_err(|e| TrainError::StateMismatch {
            what: "monitoring curve".into(),
            reason: e.to_string(),
        })?;
        Ok(())
    }
}
