//! The training observer of `mnist-wae`: the progress bar with the phase losses, and every
//! `every` iterations (and at the last) the FID of freshly generated images against the
//! test set, kept in the checkpoint so that a resumed run has its whole curve.

use crate::output::Progress;
use mvl_ae::fid::{FeatureStats, fid_to};
use mvl_ae::lenet::Lenet;
use mvl_ae::wae::Wae;
use mvl_train::seed::{Stream, derive};
use mvl_train::{Control, Observer, ObserverState, TrainError};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, nn};

/// One FID pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FidPoint {
    /// Iterations done.
    pub iteration: usize,
    /// The FID of `samples` generated images against the reference set.
    pub fid: f64,
    /// Generated images.
    pub samples: i64,
}

/// Progress and the FID curve of a run.
#[derive(Debug)]
pub struct FidMonitor<'a> {
    /// The model, the classifier and the reference statistics (the test set's).
    pub parts: (&'a Wae, &'a Lenet, &'a FeatureStats),
    /// Generated images per FID pass, and their device.
    pub samples: (i64, Device),
    /// Iterations between FID passes (the last iteration always has one).
    pub every: usize,
    /// The run's seed: the images of the pass after iteration i are drawn from the stream
    /// `derive(seed, "fid i")`, so the curve does not depend on how the run was split.
    pub seed: u64,
    /// The progress bar.
    pub progress: Progress,
    /// The FID curve.
    pub curve: Vec<FidPoint>,
    /// The run's length (set by `begin`).
    pub iterations: usize,
}

impl FidMonitor<'_> {
    /// The FID of a fresh set of generated images after `iteration` iterations.
    pub fn evaluate(&self, iteration: usize) -> mvl_ae::Result<FidPoint> {
        let (model, lenet, reference) = self.parts;
        tch::manual_seed(derive(
            self.seed,
            Stream::Purpose(&format!("fid {iteration}")),
        ));
        let images =
            tch::no_grad(|| model.generate(self.samples.0, (Kind::Float, self.samples.1)))?;
        let fid = fid_to(lenet, reference, &images)?;
        Ok(FidPoint {
            iteration,
            fid: fid.distance,
            samples: self.samples.0,
        })
    }
}

impl Observer for FidMonitor<'_> {
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
            let point = self.evaluate(done).map_err(|e| TrainError::Observer {
                label: "FID".into(),
                iteration,
                message: e.to_string(),
            })?;
            self.curve.push(point);
        }
        let shown: Vec<String> = losses.iter().map(|l| format!("{l:.3}")).collect();
        let fid = self.curve.last().map_or(String::new(), |p| {
            format!(" | FID {:.2} at {}", p.fid, p.iteration)
        });
        self.progress
            .set_message(format!("loss {}{fid}", shown.join(" / ")));
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
            what: "FID curve".into(),
            reason: e.to_string(),
        })?;
        Ok(())
    }
}
