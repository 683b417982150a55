//! The crate's error type.

/// Everything that can go wrong when constructing or checking manifold objects.
///
/// Every variant carries the offending value so that the message names it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifoldError {
    /// A dimension below the smallest one that makes sense.
    #[error("{what}: dimension must be at least {min}, got {got}")]
    InvalidDimension {
        /// What the dimension belongs to.
        what: &'static str,
        /// The smallest allowed value.
        min: i64,
        /// The value given.
        got: i64,
    },
    /// A tensor whose shape does not match what the call needs.
    #[error("{what}: expected shape {expected}, got {got:?}")]
    ShapeMismatch {
        /// What the tensor is.
        what: &'static str,
        /// The expected shape, in words (e.g. "[b, 3]").
        expected: String,
        /// The shape given.
        got: Vec<i64>,
    },
    /// A tensor of a kind the call cannot use (points must be floating point).
    #[error("{what}: expected a floating-point tensor, got {got:?}")]
    UnsupportedKind {
        /// What the tensor is.
        what: &'static str,
        /// The kind given.
        got: tch::Kind,
    },
    /// A concentration parameter that is negative or not finite.
    #[error("concentration must be finite and >= 0, got {0}")]
    InvalidConcentration(f64),
    /// A mean direction that cannot be normalised (a zero row, or a non-finite entry); the
    /// value is the row's largest |entry|.
    #[error("mean direction must be finite and non-zero, got a row whose largest |entry| is {0}")]
    InvalidMeanDirection(f64),
    /// A point that is not on the manifold (within the documented tolerance).
    #[error("point off the manifold {manifold} at row {row}: {detail}")]
    OffManifold {
        /// The manifold's name.
        manifold: &'static str,
        /// The first offending row of the batch.
        row: i64,
        /// What is wrong with it (e.g. "norm 1.2, expected 1").
        detail: String,
    },
    /// A scalar argument outside its allowed range.
    #[error("{name} = {value} is invalid: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the argument must satisfy.
        reason: &'static str,
    },
    /// A dimension for which an operation is not implemented (e.g. quadrature on S^n, n > 2).
    #[error("{what}: implemented for dimension {supported} only, got {got}")]
    UnsupportedDimension {
        /// What was asked for.
        what: &'static str,
        /// The supported dimensions, in words (e.g. "1 or 2").
        supported: &'static str,
        /// The dimension given.
        got: i64,
    },
    /// Mixture weights that are negative, non-finite, or do not sum to a positive number.
    #[error("mixture weights must be finite, >= 0 and not all zero, got {0:?}")]
    InvalidWeights(Vec<f64>),
    /// Too few data points for a fit.
    #[error("{what}: need at least {min} data points, got {got}")]
    NotEnoughData {
        /// What was being fitted.
        what: &'static str,
        /// The smallest number of points needed.
        min: i64,
        /// The number given.
        got: i64,
    },
    /// Data whose maximum-likelihood concentration is infinite (all points coincide); carries
    /// the mean resultant length R̄.
    #[error(
        "mean resultant length {0} is 1 to working precision: all points coincide and the maximum-likelihood concentration is infinite"
    )]
    InfiniteConcentration(f64),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, ManifoldError>;
