//! The FID pass of `mnist-wae`: freshly generated images against the test set, a point of the
//! run's [`crate::monitor::Monitor`] curve.

use mvl_ae::fid::{FeatureStats, fid_to};
use mvl_ae::lenet::Lenet;
use mvl_ae::wae::Wae;
use mvl_train::seed::{Stream, derive};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind};

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

/// What a FID pass needs: the model, the classifier, the reference statistics (the test
/// set's, [`mvl_ae::fid::image_stats`]), the number of generated images and their device,
/// and the run's seed.
#[derive(Debug, Clone, Copy)]
pub struct FidPass<'a> {
    /// The model.
    pub model: &'a Wae,
    /// The classifier.
    pub lenet: &'a Lenet,
    /// The reference statistics.
    pub reference: &'a FeatureStats,
    /// Generated images per pass.
    pub samples: i64,
    /// Their device.
    pub device: Device,
    /// The run's seed: the images of the pass after i iterations are drawn from the stream
    /// `derive(seed, "fid i")`, so the curve does not depend on how the run was split.
    pub seed: u64,
}

impl FidPass<'_> {
    /// The FID of a fresh set of generated images after `iteration` iterations.
    pub fn evaluate(&self, iteration: usize) -> Result<FidPoint, String> {
        tch::manual_seed(derive(
            self.seed,
            Stream::Purpose(&format!("fid {iteration}")),
        ));
        let run = || -> mvl_ae::Result<f64> {
            let images = tch::no_grad(|| {
                self.model
                    .generate(self.samples, (Kind::Float, self.device))
            })?;
            Ok(fid_to(self.lenet, self.reference, &images)?.distance)
        };
        Ok(FidPoint {
            iteration,
            fid: run().map_err(|e| format!("FID pass: {e}"))?,
            samples: self.samples,
        })
    }
}

impl FidPoint {
    /// The progress-bar text.
    pub fn describe(&self) -> String {
        format!("FID {:.2} at {}", self.fid, self.iteration)
    }
}
