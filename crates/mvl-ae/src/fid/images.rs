//! The MNIST FID protocol on images: LeNet features of two binarised image sets.

use super::{FeatureStats, frechet_distance};
use crate::data::{binarize, read_images};
use crate::error::{AeError, Result};
use crate::lenet::Lenet;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Kind, Tensor};

/// A Fréchet distance on LeNet features (paper-spec §5.5), with what it depends on.
///
/// **Not comparable with the paper's Table 2 in absolute terms**: the authors' LeNet weights
/// cannot be fetched, and the classifier here is trained locally ([`crate::lenet`]); its test
/// accuracy is kept with every value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fid {
    /// The Fréchet distance.
    pub distance: f64,
    /// The test accuracy of the classifier whose features were used.
    pub classifier_accuracy: f64,
    /// The number of images in the first set.
    pub count_a: i64,
    /// The number of images in the second set.
    pub count_b: i64,
}

/// The LeNet feature statistics of an image set `[n ≥ 2, 784]` (intensities in [0, 1]),
/// binarised with fresh uniforms first as the protocol does ([`binarize`]; images already in
/// {0, 1} stay as they are). Compute the reference set's once and compare many generated
/// sets with [`fid_to`] (a FID curve during training).
pub fn image_stats(lenet: &Lenet, images: &Tensor) -> Result<FeatureStats> {
    crate::error::check_width("images", images, 784)?;
    FeatureStats::from_features(&lenet.features(&binarize(images))?)
}

/// The FID of `images` (as [`image_stats`] takes them) against the statistics `reference`
/// of a reference set from [`image_stats`] with the same `lenet`.
pub fn fid_to(lenet: &Lenet, reference: &FeatureStats, images: &Tensor) -> Result<Fid> {
    let stats = image_stats(lenet, images)?;
    Ok(Fid {
        distance: frechet_distance(reference, &stats)?,
        classifier_accuracy: lenet.test_accuracy(),
        count_a: reference.count(),
        count_b: stats.count(),
    })
}

/// The FID between two image sets `a`, `b` (`[n ≥ 2, 784]`, intensities in [0, 1]), each
/// binarised with fresh uniforms as the protocol does for the test set and the generated
/// images ([`binarize`]; images already in {0, 1} stay as they are), on `lenet`'s fc1
/// features (paper-spec §5.5: the reference is the 10 000 test images, the other set 10 000
/// generated images, e.g. [`crate::wae::Wae::generate`]).
pub fn fid_images(lenet: &Lenet, a: &Tensor, b: &Tensor) -> Result<Fid> {
    fid_to(lenet, &image_stats(lenet, a)?, b)
}

/// [`fid_images`] between two IDX image files of 28 × 28 unsigned bytes (MNIST's format,
/// e.g. `t10k-images-idx3-ubyte`; pixels / 255). Errors name the file: [`AeError::MissingData`],
/// [`AeError::BadMagic`], [`AeError::BadIdx`] (also for images that are not 28 × 28).
pub fn fid_files(lenet: &Lenet, a: &Path, b: &Path) -> Result<Fid> {
    let load = |path: &Path| -> Result<Tensor> {
        let (count, rows, cols, pixels) = read_images(path, None)?;
        if (rows, cols) != (28, 28) {
            return Err(AeError::BadIdx {
                path: path.to_path_buf(),
                reason: format!("images of {rows} × {cols} pixels, expected 28 × 28"),
            });
        }
        let t = Tensor::from_slice(&pixels).view([count as i64, 784]);
        Ok(t.to_kind(Kind::Float) / 255.0)
    };
    fid_images(lenet, &load(a)?, &load(b)?)
}
