//! Checkpoints for long training runs: the model, the optimiser state, the iteration and the
//! run's history (losses and training time), saved atomically every few iterations and
//! restored when the same run is restarted.
//!
//! Runs reseed libtorch's generator from (seed, iteration) at every iteration, so a resumed
//! run continues exactly as an uninterrupted one would.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tch::{Tensor, nn};

/// What a checkpoint records besides tensors.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Meta {
    iteration: usize,
    config: serde_json::Value,
    /// Absent in checkpoints written before the history was recorded.
    #[serde(default)]
    history: History,
}

/// What a run has recorded so far, kept across resumes so no work is lost.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct History {
    /// The iteration of `losses[0]` (non-zero only when earlier losses were never recorded).
    pub first: usize,
    /// The loss of every iteration from `first` on.
    pub losses: Vec<f64>,
    /// Training wall-clock seconds over all invocations.
    pub seconds: f64,
}

/// A checkpoint folder for one run, identified by its configuration.
#[derive(Debug)]
pub struct Checkpoint {
    dir: PathBuf,
    config: serde_json::Value,
}

/// A restored state.
#[derive(Debug)]
pub struct Restored {
    /// The number of completed iterations.
    pub iteration: usize,
    /// The optimiser's tensors, in the order they were saved.
    pub optimizer: Vec<Tensor>,
    /// The history up to `iteration`.
    pub history: History,
}

impl Checkpoint {
    /// The checkpoint of the run configured by `config` (serialisable), in `dir`.
    pub fn new<C: Serialize>(dir: &Path, config: &C) -> Result<Self> {
        Ok(Self {
            dir: dir.to_path_buf(),
            config: serde_json::to_value(config)?,
        })
    }

    /// Loads the model into `vs` and returns the state, if a checkpoint of this same
    /// configuration exists; a checkpoint of another configuration is ignored.
    pub fn restore(&self, vs: &mut nn::VarStore) -> Result<Option<Restored>> {
        let meta_path = self.dir.join("meta.json");
        let Ok(text) = std::fs::read_to_string(&meta_path) else {
            return Ok(None);
        };
        let meta: Meta = serde_json::from_str(&text)
            .with_context(|| format!("reading {}", meta_path.display()))?;
        if meta.config != self.config {
            return Ok(None);
        }
        vs.load(self.dir.join("model.ot"))
            .context("loading the checkpointed model")?;
        let optimizer = Tensor::load_multi(self.dir.join("optimizer.ot"))
            .context("loading the checkpointed optimiser")?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        let mut history = meta.history;
        if history.losses.is_empty() {
            history.first = meta.iteration;
        }
        Ok(Some(Restored {
            iteration: meta.iteration,
            optimizer,
            history,
        }))
    }

    /// Saves the model, the optimiser tensors, the iteration and the history (through a
    /// temporary folder and a rename, so a kill never leaves a half-written checkpoint).
    pub fn save(
        &self,
        vs: &nn::VarStore,
        optimizer: &[Tensor],
        iteration: usize,
        history: &History,
    ) -> Result<()> {
        let tmp = self.dir.with_extension("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        vs.save(tmp.join("model.ot"))?;
        let named: Vec<(String, &Tensor)> = optimizer
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("s{i}"), t))
            .collect();
        Tensor::save_multi(&named, tmp.join("optimizer.ot"))?;
        let meta = Meta {
            iteration,
            config: self.config.clone(),
            history: history.clone(),
        };
        std::fs::write(tmp.join("meta.json"), serde_json::to_string_pretty(&meta)?)?;
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::rename(&tmp, &self.dir)
            .with_context(|| format!("moving checkpoint to {}", self.dir.display()))?;
        Ok(())
    }

    /// Removes the checkpoint (after a run completes).
    pub fn clear(&self) -> Result<()> {
        match std::fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Seeds libtorch for iteration `iteration` of a run with seed `seed`.
pub fn seed_iteration(seed: u64, iteration: usize) {
    tch::manual_seed((seed.wrapping_mul(1_000_003) ^ iteration as u64) as i64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn round_trip_and_config_mismatch() {
        let dir = std::env::temp_dir().join(format!("mvl-ckpt-{}", std::process::id()));
        let mut vs = nn::VarStore::new(Device::Cpu);
        let w = vs.root().var("w", &[3], nn::Init::Const(2.0));
        let ck = Checkpoint::new(&dir, &serde_json::json!({"lr": 1e-3})).expect("config");
        let state = vec![Tensor::from_slice(&[5.0f32])];
        let history = History {
            first: 0,
            losses: vec![0.5; 17],
            seconds: 3.0,
        };
        ck.save(&vs, &state, 17, &history).expect("save");
        let _ = tch::no_grad(|| w.shallow_clone().fill_(0.0));
        let restored = ck.restore(&mut vs).expect("restore").expect("same config");
        assert_eq!(restored.iteration, 17);
        assert_eq!(w.double_value(&[1]), 2.0);
        assert_eq!(restored.optimizer[0].double_value(&[0]), 5.0);
        assert_eq!(restored.history, history);
        let other = Checkpoint::new(&dir, &serde_json::json!({"lr": 1e-2})).expect("config");
        assert!(other.restore(&mut vs).expect("no error").is_none());
        ck.clear().expect("clear");
        assert!(ck.restore(&mut vs).expect("no error").is_none());
        let _ = Kind::Float;
    }
}
