//! The error type of annealed importance sampling.

use mvl_flows::FlowError;
use mvl_manifold::ManifoldError;

/// Everything that can go wrong when setting up or running [`super::Ais`].
///
/// Every variant carries the offending value so that the message names it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AisError {
    /// A setting outside its allowed range (chains, temperatures, step sizes, ...).
    #[error("AIS setting {name} = {value} is invalid: {reason}")]
    InvalidSetting {
        /// The setting's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the setting must satisfy.
        reason: &'static str,
    },
    /// A log-likelihood (or its gradient, for HMC) that is not finite at a chain's position.
    #[error("non-finite {what} at transition {transition}, row {row} (value {value})")]
    NonFinite {
        /// "log-likelihood" or "log-likelihood gradient".
        what: &'static str,
        /// The transition (0-based) before which it was found.
        transition: usize,
        /// The first offending row of the `[chains·images]` batch.
        row: i64,
        /// The offending value.
        value: f64,
    },
    /// A log-likelihood result of the wrong shape.
    #[error("{what}: expected shape {expected}, got {got:?}")]
    ShapeMismatch {
        /// What the tensor is.
        what: &'static str,
        /// The expected shape, in words.
        expected: String,
        /// The shape given.
        got: Vec<i64>,
    },
    /// An error of the Riemannian Langevin transitions (e.g. a non-finite energy gradient).
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// An error reported by libtorch (e.g. a log-likelihood it cannot differentiate with
    /// respect to the latents).
    #[error("libtorch: {0}")]
    Torch(String),
    /// An error of the geometry layer (e.g. an invalid sphere dimension).
    #[error(transparent)]
    Manifold(#[from] ManifoldError),
}

/// Shorthand for results of the AIS module.
pub type Result<T> = std::result::Result<T, AisError>;

/// Fails with [`AisError::InvalidSetting`] unless `ok`.
pub(crate) fn setting(
    ok: bool,
    name: &'static str,
    value: f64,
    reason: &'static str,
) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(AisError::InvalidSetting {
            name,
            value,
            reason,
        })
    }
}
