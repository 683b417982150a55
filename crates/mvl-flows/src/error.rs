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
    /// A tensor of a kind the flow cannot use (points must be floating point).
    #[error("{what}: expected a floating-point tensor, got {got:?}")]
    UnsupportedKind {
        /// What the tensor is.
        what: &'static str,
        /// The kind given.
        got: tch::Kind,
    },
    /// No single chart of the manifold's atlas covers the batch, so interacting particles
    /// (SVGD, SPOS, birth-death) cannot be compared in one chart: e.g. a batch whose mean is
    /// 0 on the sphere (an antipodal pair), whose projection from the pole opposite the
    /// mean is undefined.
    #[error(
        "the batch chart is undefined at row {row} (chart coordinate {value}): the batch has no common chart, e.g. it contains an antipodal pair on the sphere"
    )]
    ChartUndefined {
        /// The first row whose chart coordinates are not finite.
        row: i64,
        /// Its first non-finite chart coordinate.
        value: f64,
    },
    /// The energy, its gradient or the step's result is not finite at some point of the
    /// batch.
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
    /// The energy could not be evaluated on the batch (for example a network whose input
    /// width does not match the points and that declares no `input_dim`): libtorch's
    /// message, which names the shapes.
    #[error("{flow}: the energy failed on points of shape {shape:?}: {message}")]
    Energy {
        /// The flow.
        flow: &'static str,
        /// The shape of the points (ambient coordinates).
        shape: Vec<i64>,
        /// libtorch's message.
        message: String,
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
