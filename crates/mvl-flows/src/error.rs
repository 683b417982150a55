//! The crate's error type.

use mvl_manifold::ManifoldError;

/// Everything that can go wrong when building or running a gradient flow.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// A scalar parameter outside its allowed range (step size, scale, α, bandwidth, ...).
    #[error("{name} = {value} is invalid: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the parameter must satisfy.
        reason: &'static str,
    },
    /// A tensor whose shape does not match what the flow needs.
    #[error("{what}: expected shape {expected}, got {got:?}")]
    ShapeMismatch {
        /// What the tensor is.
        what: &'static str,
        /// The expected shape, in words.
        expected: String,
        /// The shape given.
        got: Vec<i64>,
    },
    /// The energy or its gradient is not finite at some point of the batch.
    #[error("{flow}: non-finite {what} at row {row} (value {value})")]
    NonFinite {
        /// The flow that detected it.
        flow: &'static str,
        /// "energy", "energy gradient", ...
        what: &'static str,
        /// The first offending row.
        row: i64,
        /// The offending value (the first non-finite entry of that row).
        value: f64,
    },
    /// An error from the geometry layer (bad points, dimensions).
    #[error(transparent)]
    Manifold(#[from] ManifoldError),
    /// An error reported by libtorch (e.g. when copying jump rates to the host).
    #[error("libtorch: {0}")]
    Torch(String),
}

impl From<tch::TchError> for FlowError {
    fn from(e: tch::TchError) -> Self {
        FlowError::Torch(e.to_string())
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, FlowError>;
