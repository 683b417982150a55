//! The crate's error type.

use mvl_flows::FlowError;
use mvl_manifold::ManifoldError;
use mvl_objectives::ObjectiveError;
use mvl_train::TrainError;
use std::path::PathBuf;

/// How to get the MNIST files, appended to every data error.
pub const MNIST_HINT: &str = "run `scripts/setup --mnist` to fetch and verify the MNIST IDX files \
     (or point MVL_MNIST at a folder holding them)";

/// Everything that can go wrong when building, feeding or training the auto-encoders.
///
/// Every variant carries the offending value so that the message names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AeError {
    /// A setting outside its allowed range (latent size, width, step size, ...).
    #[error("{name} = {value} is invalid: {reason}")]
    InvalidConfig {
        /// The setting's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the setting must satisfy.
        reason: &'static str,
    },
    /// A tensor whose shape does not fit the model (a batch of the wrong width, latents of
    /// the wrong size).
    #[error("{what}: expected shape {expected}, got {got:?}")]
    ShapeMismatch {
        /// What the tensor is.
        what: &'static str,
        /// The expected shape, in words.
        expected: String,
        /// The shape given.
        got: Vec<i64>,
    },
    /// A tensor of a kind the models cannot take (integer or boolean data or latents).
    #[error("{what}: expected a floating-point tensor, got {got}")]
    UnsupportedKind {
        /// What the tensor is.
        what: &'static str,
        /// Its kind.
        got: String,
    },
    /// A data file that cannot be read (missing folder or file, permissions).
    #[error("{path}: {source}; {MNIST_HINT}")]
    MissingData {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An IDX file whose magic number is not the expected one (not an IDX file, or images
    /// and labels swapped).
    #[error("{path}: magic number {got:#010x}, expected {expected:#010x}; {MNIST_HINT}")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The expected magic number.
        expected: u32,
        /// The magic number found.
        got: u32,
    },
    /// An IDX file shorter or longer than its header says, or with unexpected dimensions.
    #[error("{path}: {reason}; {MNIST_HINT}")]
    BadIdx {
        /// The file.
        path: PathBuf,
        /// What is wrong (sizes in bytes or items).
        reason: String,
    },
    /// A data file whose SHA-256 digest differs from the published one (corrupt or another
    /// version of the data).
    #[error("{path}: SHA-256 {got}, expected {expected}; {MNIST_HINT}")]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// The expected digest (hex).
        expected: String,
        /// The digest of the file (hex).
        got: String,
    },
    /// Non-finite numbers where finite ones are needed (features or covariances of the
    /// Fréchet distance).
    #[error("{what} contains non-finite values")]
    NonFinite {
        /// What the values are.
        what: &'static str,
    },
    /// A cached file (the FID classifier's weights) that is damaged: its SHA-256 digest
    /// differs from the one recorded next to it, or the record is missing or unreadable.
    #[error("{path}: {reason}; delete it (and its .json record) to train it again")]
    CorruptCache {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An I/O error on a file other than the MNIST data (a cache, an image file).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An error from libtorch (saving or loading weights).
    #[error(transparent)]
    Torch(#[from] tch::TchError),
    /// An error from an objective (the energy's training loss).
    #[error(transparent)]
    Objective(#[from] ObjectiveError),
    /// An error from a sampler.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// An error from the geometry layer (a distribution's parameters).
    #[error(transparent)]
    Manifold(#[from] ManifoldError),
    /// An error from the training loop.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// An error of annealed importance sampling ([`crate::ais`]).
    #[error(transparent)]
    Ais(#[from] crate::ais::AisError),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, AeError>;

/// `value` if it is ≥ `min`, else [`AeError::InvalidConfig`].
pub(crate) fn at_least(name: &'static str, value: i64, min: i64) -> Result<i64> {
    if value >= min {
        Ok(value)
    } else {
        Err(AeError::InvalidConfig {
            name,
            value: value as f64,
            reason: if min == 0 {
                "must be ≥ 0"
            } else {
                "must be ≥ 1"
            },
        })
    }
}

/// `value` if it is finite and ≥ 0 (`allow_zero`) or > 0, else [`AeError::InvalidConfig`].
pub(crate) fn non_negative(name: &'static str, value: f64, allow_zero: bool) -> Result<f64> {
    let ok = value.is_finite() && (value > 0.0 || allow_zero && value == 0.0);
    if ok {
        Ok(value)
    } else {
        Err(AeError::InvalidConfig {
            name,
            value,
            reason: if allow_zero {
                "must be finite and ≥ 0"
            } else {
                "must be finite and > 0"
            },
        })
    }
}

/// Checks that `x` is a floating-point tensor.
pub(crate) fn floating(what: &'static str, x: &tch::Tensor) -> Result<()> {
    if x.is_floating_point() {
        Ok(())
    } else {
        Err(AeError::UnsupportedKind {
            what,
            got: format!("{:?}", x.kind()),
        })
    }
}

/// Checks that `x` is a non-empty floating-point `[b, width]` batch.
pub(crate) fn check_width(what: &'static str, x: &tch::Tensor, width: i64) -> Result<()> {
    let size = x.size();
    floating(what, x)?;
    if size.len() == 2 && size[0] >= 1 && size[1] == width {
        Ok(())
    } else {
        Err(AeError::ShapeMismatch {
            what,
            expected: format!("[b ≥ 1, {width}]"),
            got: size,
        })
    }
}
