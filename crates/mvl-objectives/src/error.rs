//! The crate's error type.

use mvl_flows::FlowError;
use mvl_manifold::ManifoldError;

/// Everything that can go wrong when building or evaluating an objective.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectiveError {
    /// A scalar parameter outside its allowed range (ε, σ, number of projections, ...).
    #[error("{name} = {value} is invalid: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the parameter must satisfy.
        reason: &'static str,
    },
    /// A batch without rows (or of the wrong rank).
    #[error("{objective}: expected a non-empty batch [b, n], got shape {got:?}")]
    BadBatch {
        /// The objective.
        objective: &'static str,
        /// The shape given.
        got: Vec<i64>,
    },
    /// A batch of a kind the objective cannot use (it must be floating point).
    #[error("{objective}: expected a floating-point batch, got {got:?}")]
    UnsupportedKind {
        /// The objective.
        objective: &'static str,
        /// The kind given.
        got: tch::Kind,
    },
    /// A tensor of the wrong shape (kernel points, a rate density's output, ...).
    #[error("{what}: expected shape {expected}, got {got:?}")]
    ShapeMismatch {
        /// What was checked.
        what: &'static str,
        /// The expected shape.
        expected: String,
        /// The shape given.
        got: Vec<i64>,
    },
    /// The energy could not be evaluated on the batch (for example a network whose input
    /// width does not match the data): libtorch's message, which names the shapes.
    #[error("{objective}: the energy failed on a batch of shape {shape:?}: {message}")]
    Energy {
        /// The objective.
        objective: &'static str,
        /// The batch shape.
        shape: Vec<i64>,
        /// libtorch's message.
        message: String,
    },
    /// The loss (or a per-sample term) is not finite.
    #[error("{objective}: non-finite loss term at row {row} (value {value}); {hint}")]
    NonFiniteLoss {
        /// The objective.
        objective: &'static str,
        /// The first offending row.
        row: i64,
        /// Its value.
        value: f64,
        /// What usually causes it.
        hint: &'static str,
    },
    /// An error from a sampler step.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// An error from the geometry layer.
    #[error(transparent)]
    Manifold(#[from] ManifoldError),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, ObjectiveError>;
