//! The training observer of `mnist-vae`: the progress bar with the phase losses, and every
//! `every` iterations the −ELBO, reconstruction and KL terms on a fixed set of test images
//! (freshly binarised, as the authors' monitoring pass, paper-spec §4.4), kept in the
//! checkpoint so that a resumed run has its whole curve.

use super::Model;
use crate::output::Progress;
use mvl_ae::data::binarize;
use mvl_train::{Control, Observer, ObserverState};
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor, nn};

/// One monitoring pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MonitorPoint {
    /// Iterations done.
    pub iteration: usize,
    /// −ELBO on the monitoring images (nats; the implicit VAE's KL uses ln q ≈ −E(z|x), so
    /// it is an estimate, not a bound).
    pub neg_elbo: f64,
    /// Reconstruction term, Σ BCE.
    pub reconstruction: f64,
    /// KL term.
    pub kl: f64,
}

/// Progress and monitoring of a run.
#[derive(Debug)]
pub struct Monitor<'a> {
    model: &'a Model,
    images: Tensor,
    every: usize,
    progress: Progress,
    /// The monitoring curve.
    pub curve: Vec<MonitorPoint>,
}

impl<'a> Monitor<'a> {
    /// Monitors `model` on `images` (intensities, on the training device) every `every`
    /// iterations, showing `progress`.
    pub fn new(model: &'a Model, images: Tensor, every: usize, progress: Progress) -> Self {
        Self {
            model,
            images,
            every,
            progress,
            curve: Vec::new(),
        }
    }

    fn evaluate(&self, iteration: usize) -> Option<MonitorPoint> {
        tch::no_grad(|| {
            let elbo = self.model.neg_elbo(&binarize(&self.images)).ok()?;
            let value = |t: &Tensor| t.to_kind(Kind::Double).double_value(&[]);
            Some(MonitorPoint {
                iteration,
                neg_elbo: value(&elbo.loss),
                reconstruction: value(&elbo.reconstruction),
                kl: value(&elbo.kl),
            })
        })
    }
}

impl Observer for Monitor<'_> {
    fn begin(&mut self, start: usize, iterations: usize) {
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
        if (iteration + 1).is_multiple_of(self.every)
            && let Some(point) = self.evaluate(iteration + 1)
        {
            self.curve.push(point);
        }
        let shown: Vec<String> = losses.iter().map(|l| format!("{l:.3}")).collect();
        let test = self.curve.last().map_or(String::new(), |p| {
            format!(
                " | test -ELBO {:.2} (rec {:.2}, KL {:.2})",
                p.neg_elbo, p.reconstruction, p.kl
            )
        });
        self.progress
            .set_message(format!("loss {}{test}", shown.join(" / ")));
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
        self.curve = serde_json::from_value(state.json).map_err(|e| {
            mvl_train::TrainError::StateMismatch {
                what: "monitoring curve".into(),
                reason: e.to_string(),
            }
        })?;
        Ok(())
    }
}
