//! The crate's error type.

use mvl_objectives::ObjectiveError;
use std::path::PathBuf;

/// Everything that can go wrong while training, checkpointing or resuming.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A setting outside its allowed range (learning rate, decay, interval, ...).
    #[error("{name} = {value} is invalid: {reason}")]
    InvalidParameter {
        /// The setting's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the setting must satisfy.
        reason: &'static str,
    },
    /// The loss of an iteration is not finite. Nothing of that iteration was applied, and the
    /// last checkpoint (if any) still holds the last good state.
    #[error(
        "{label}: non-finite loss {value} at iteration {iteration}; the last good checkpoint \
         ({checkpoint}) is kept; lower the learning rate or step size, or train in f64"
    )]
    NonFiniteLoss {
        /// The run's label.
        label: String,
        /// The 0-based iteration.
        iteration: usize,
        /// The loss.
        value: f64,
        /// What the checkpoint holds (`iteration N in DIR`, or `none`).
        checkpoint: String,
    },
    /// The step of an iteration failed (an objective's typed error).
    #[error("{label}: iteration {iteration}: {source}")]
    Step {
        /// The run's label.
        label: String,
        /// The 0-based iteration.
        iteration: usize,
        /// What failed.
        #[source]
        source: ObjectiveError,
    },
    /// The loss of one phase of a run with parameter groups failed ([`crate::train_groups`]).
    #[error("{label}: iteration {iteration}, phase {phase}: {source}")]
    Phase {
        /// The run's label.
        label: String,
        /// The 0-based iteration.
        iteration: usize,
        /// The phase's (its parameter group's) name.
        phase: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A parameter group that cannot be trained as given (bad or repeated name, no store).
    #[error("parameter group {name:?}: {reason}")]
    InvalidGroup {
        /// The group's name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An observer (validation, early stopping, ...) failed.
    #[error("{label}: iteration {iteration}: {message}")]
    Observer {
        /// The run's label.
        label: String,
        /// The 0-based iteration.
        iteration: usize,
        /// What failed.
        message: String,
    },
    /// A checkpoint exists but cannot be used: a file is missing, truncated or does not match
    /// its recorded checksum. Nothing is restarted silently: delete the folder to start over.
    #[error("corrupt checkpoint {path}: {reason}; delete {dir} to start the run over")]
    CorruptCheckpoint {
        /// The offending file.
        path: PathBuf,
        /// The checkpoint folder.
        dir: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A checkpoint of a different run configuration is in the way.
    #[error(
        "checkpoint {dir} belongs to another configuration ({difference}): rerun with the saved \
         settings to resume it, or start over (`--restart` in the experiment binaries, or delete \
         the folder), or use another output folder"
    )]
    ConfigMismatch {
        /// The checkpoint folder.
        dir: PathBuf,
        /// The first setting that differs, with both values.
        difference: String,
    },
    /// A checkpoint is further along than the iterations asked for (the run's length is not
    /// part of its identity, so a run can be extended, but not shortened).
    #[error(
        "checkpoint {dir} is at iteration {saved}, beyond the {requested} iterations asked for: \
         ask for at least {saved}, or start over (`--restart` in the experiment binaries, or \
         delete the folder)"
    )]
    CheckpointAhead {
        /// The checkpoint folder.
        dir: PathBuf,
        /// Its iteration.
        saved: usize,
        /// The iterations asked for.
        requested: usize,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// libtorch failed to save or load tensors.
    #[error("{path}: {message}")]
    Torch {
        /// The file.
        path: PathBuf,
        /// libtorch's message.
        message: String,
    },
    /// Saved optimiser or observer state does not fit the model.
    #[error("{what}: {reason}")]
    StateMismatch {
        /// Whose state.
        what: String,
        /// How it does not fit.
        reason: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, TrainError>;

/// `value` if it is finite and > 0, else [`TrainError::InvalidParameter`].
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(TrainError::InvalidParameter {
            name,
            value,
            reason: "must be finite and > 0",
        })
    }
}

/// `value` if it lies in [0, 1), else [`TrainError::InvalidParameter`].
pub(crate) fn unit_interval(name: &'static str, value: f64) -> Result<f64> {
    if (0.0..1.0).contains(&value) {
        Ok(value)
    } else {
        Err(TrainError::InvalidParameter {
            name,
            value,
            reason: "must lie in [0, 1)",
        })
    }
}
