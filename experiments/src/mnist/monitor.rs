//! The monitoring pass of `mnist-vae`: the −ELBO, reconstruction and KL terms on a fixed set
//! of test images (freshly binarised, as the authors' monitoring pass, paper-spec §4.4), a
//! point of the run's [`crate::monitor::Monitor`] curve.

use super::Model;
use mvl_ae::data::binarize;
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

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

impl MonitorPoint {
    /// The pass on `images` (intensities, on the model's device) after `iteration` iterations.
    pub fn evaluate(model: &Model, images: &Tensor, iteration: usize) -> Result<Self, String> {
        tch::no_grad(|| {
            let elbo = model
                .neg_elbo(&binarize(images))
                .map_err(|e| e.to_string())?;
            let value = |t: &Tensor| t.to_kind(Kind::Double).double_value(&[]);
            Ok(Self {
                iteration,
                neg_elbo: value(&elbo.loss),
                reconstruction: value(&elbo.reconstruction),
                kl: value(&elbo.kl),
            })
        })
    }

    /// The progress-bar text.
    pub fn describe(&self) -> String {
        format!(
            "test -ELBO {:.2} (rec {:.2}, KL {:.2})",
            self.neg_elbo, self.reconstruction, self.kl
        )
    }
}
