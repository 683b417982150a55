//! Checkpoints: the model, the optimiser, the observers' state, the iteration and the run's
//! history, in one folder written atomically.
//!
//! A save writes a complete new folder next to the old one, then swaps them with two renames;
//! a kill at any moment leaves either the old or the new checkpoint whole (a restore after a
//! kill between the two renames reads the old one). Every file's 64-bit FNV-1a checksum is
//! recorded, so a truncated or damaged file is reported by name instead of being loaded or
//! silently replaced by a fresh start. A checkpoint of another configuration is an error too.

use crate::error::{Result, TrainError};
use crate::groups::check_names;
use crate::seed::fnv1a;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tch::{Tensor, nn};

/// The version of the folder layout.
const FORMAT: u32 = 1;

/// What a run has recorded so far, kept across resumes so no work is lost.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct History {
    /// The loss of every completed iteration (of the first phase when there are several,
    /// [`crate::train_groups`]).
    pub losses: Vec<f64>,
    /// The loss of every phase of every completed iteration, `[phase][iteration]`
    /// (`phase_losses[0] == losses`). Empty in checkpoints written before phases existed.
    #[serde(default)]
    pub phase_losses: Vec<Vec<f64>>,
    /// Training wall-clock seconds over all invocations.
    pub seconds: f64,
}

/// The saved state of one observer: JSON plus named tensors.
#[derive(Debug, Default)]
pub struct ObserverState {
    /// Small state (counters, curves).
    pub json: serde_json::Value,
    /// Tensors (parameter averages, best parameters).
    pub tensors: Vec<(String, Tensor)>,
}

/// Everything a checkpoint holds besides the models.
#[derive(Debug)]
pub struct State {
    /// Completed iterations.
    pub iteration: usize,
    /// Whether an observer ended the run there ([`crate::Control::Stop`]): the run is
    /// complete whatever its length.
    pub stopped: bool,
    /// The tensors of each parameter group's optimiser, in the order of the groups.
    pub optimizers: Vec<Vec<Tensor>>,
    /// The observers' states, in the order the observers were given.
    pub observers: Vec<ObserverState>,
    /// The history up to `iteration`.
    pub history: History,
}

#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    format: u32,
    iteration: usize,
    /// Absent (false) in checkpoints written before runs could be extended; those stored a
    /// stopped run's iteration as its full length instead.
    #[serde(default)]
    stopped: bool,
    config: serde_json::Value,
    history: History,
    observers: Vec<serde_json::Value>,
    /// File name → FNV-1a checksum (hex).
    files: BTreeMap<String, String>,
}

/// The checkpoint folder of one run, identified by its configuration.
///
/// Each parameter group has its model file and optimiser file: `model.ot` and
/// `optimizer.ot` for a single unnamed group ([`Checkpoint::new`], the layout of
/// [`crate::train`]), `model-NAME.ot` and `optimizer-NAME.ot` for named groups
/// ([`Checkpoint::with_groups`]).
#[derive(Debug)]
pub struct Checkpoint {
    dir: PathBuf,
    config: serde_json::Value,
    groups: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint in `dir` of the single-group run configured by `config`.
    pub fn new<C: Serialize>(dir: &Path, config: &C) -> Result<Self> {
        Self::with_groups(dir, config, vec![String::new()])
    }

    /// The checkpoint in `dir` of the run configured by `config`, with the parameter groups
    /// `groups` (names, in order; an empty name stands for the single unnamed group).
    ///
    /// Errors: [`TrainError::InvalidGroup`] unless `groups` is one empty name or distinct,
    /// non-empty names of ASCII letters, digits, `-` and `_` (as [`crate::train_groups`]
    /// requires); [`TrainError::StateMismatch`] when `config` cannot be serialised.
    pub fn with_groups<C: Serialize>(dir: &Path, config: &C, groups: Vec<String>) -> Result<Self> {
        if groups != [""] {
            check_names(&groups)?;
        }
        let config = serde_json::to_value(config).map_err(|e| TrainError::StateMismatch {
            what: "run configuration".into(),
            reason: format!("not serialisable: {e}"),
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            groups,
        })
    }

    /// The model and optimiser file names of group `k`.
    fn files(&self, k: usize) -> (String, String) {
        match self.groups[k].as_str() {
            "" => ("model.ot".into(), "optimizer.ot".into()),
            name => (format!("model-{name}.ot"), format!("optimizer-{name}.ot")),
        }
    }

    /// Fails unless `stores` has one entry per group.
    fn check_stores(&self, stores: usize) -> Result<()> {
        if stores == self.groups.len() {
            return Ok(());
        }
        Err(TrainError::StateMismatch {
            what: "parameter groups".into(),
            reason: format!("the checkpoint has {}, given {stores}", self.groups.len()),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads each group's model into its store (`stores`, in the order of the groups) and
    /// returns the rest of the state, or `None` when there is no checkpoint. Errors:
    /// [`TrainError::ConfigMismatch`] for a checkpoint of another configuration,
    /// [`TrainError::CorruptCheckpoint`] for a damaged one.
    pub fn restore(&self, stores: &mut [&mut nn::VarStore]) -> Result<Option<State>> {
        self.check_stores(stores.len())?;
        let old = self.aside();
        let dir = match (self.dir.is_dir(), old.is_dir()) {
            (true, _) => &self.dir,
            (false, true) => &old,
            (false, false) => return Ok(None),
        };
        let meta = self.read_meta(dir)?;
        for (name, sum) in &meta.files {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| self.corrupt(&path, e))?;
            if format!("{:016x}", fnv1a(&bytes)) != *sum {
                return Err(self.corrupt(&path, "checksum mismatch (truncated or damaged)"));
            }
        }
        let mut optimizers = Vec::new();
        for (k, vs) in stores.iter_mut().enumerate() {
            let (model, optimizer) = self.files(k);
            let model = dir.join(model);
            vs.load(&model).map_err(|e| self.corrupt(&model, e))?;
            let tensors = self.load_tensors(&dir.join(optimizer))?;
            optimizers.push(tensors.into_iter().map(|(_, t)| t).collect());
        }
        let mut observers = Vec::new();
        for (k, json) in meta.observers.into_iter().enumerate() {
            let name = format!("observer-{k}.ot");
            let tensors = if meta.files.contains_key(&name) {
                Tensor::load_multi(dir.join(&name))
                    .map_err(|e| self.corrupt(&dir.join(&name), e))?
            } else {
                vec![]
            };
            observers.push(ObserverState { json, tensors });
        }
        let mut history = meta.history;
        if history.phase_losses.is_empty() && !history.losses.is_empty() {
            history.phase_losses = vec![history.losses.clone()];
        }
        Ok(Some(State {
            iteration: meta.iteration,
            stopped: meta.stopped,
            optimizers,
            observers,
            history,
        }))
    }

    /// Saves the model of every group (`stores`, in the order of the groups) and `state`,
    /// atomically (module docs).
    pub fn save(&self, stores: &[&nn::VarStore], state: &State) -> Result<()> {
        self.check_stores(stores.len())?;
        self.check_stores(state.optimizers.len())?;
        let tmp = self.sibling(&format!("tmp-{}", std::process::id()));
        remove_dir(&tmp)?;
        std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
        let torch = |path: PathBuf, e: tch::TchError| TrainError::Torch {
            path,
            message: e.to_string(),
        };
        let mut names = vec![];
        for (k, (vs, optimizer)) in stores.iter().zip(&state.optimizers).enumerate() {
            let (model_name, opt_name) = self.files(k);
            let model = tmp.join(&model_name);
            vs.save(&model).map_err(|e| torch(model.clone(), e))?;
            let named: Vec<(String, &Tensor)> = optimizer
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("s{i:06}"), t))
                .collect();
            let opt = tmp.join(&opt_name);
            Tensor::save_multi(&named, &opt).map_err(|e| torch(opt.clone(), e))?;
            names.extend([model_name, opt_name]);
        }
        for (k, o) in state.observers.iter().enumerate() {
            if !o.tensors.is_empty() {
                let name = format!("observer-{k}.ot");
                let path = tmp.join(&name);
                Tensor::save_multi(&o.tensors, &path).map_err(|e| torch(path.clone(), e))?;
                names.push(name);
            }
        }
        let mut files = BTreeMap::new();
        for name in names {
            let path = tmp.join(&name);
            let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
            files.insert(name, format!("{:016x}", fnv1a(&bytes)));
            sync(&path)?;
        }
        let meta = Meta {
            format: FORMAT,
            iteration: state.iteration,
            stopped: state.stopped,
            config: self.config.clone(),
            history: state.history.clone(),
            observers: state.observers.iter().map(|o| o.json.clone()).collect(),
            files,
        };
        let path = tmp.join("meta.json");
        let text = serde_json::to_string_pretty(&meta).unwrap_or_default();
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        sync(&path)?;
        self.swap_in(&tmp)
    }

    /// Removes the checkpoint (for a fresh start).
    pub fn clear(&self) -> Result<()> {
        remove_dir(&self.dir)?;
        remove_dir(&self.aside())
    }

    /// Replaces the checkpoint folder by `tmp`: old → aside, tmp → dir, aside removed.
    fn swap_in(&self, tmp: &Path) -> Result<()> {
        let old = self.aside();
        if self.dir.is_dir() {
            remove_dir(&old)?;
            std::fs::rename(&self.dir, &old).map_err(|e| io(&self.dir, e))?;
        }
        std::fs::rename(tmp, &self.dir).map_err(|e| io(&self.dir, e))?;
        remove_dir(&old)
    }

    fn read_meta(&self, dir: &Path) -> Result<Meta> {
        let path = dir.join("meta.json");
        let text = std::fs::read_to_string(&path).map_err(|e| self.corrupt(&path, e))?;
        let meta: Meta = serde_json::from_str(&text).map_err(|e| self.corrupt(&path, e))?;
        if meta.format != FORMAT {
            let reason = format!("layout version {}, this build reads {FORMAT}", meta.format);
            return Err(self.corrupt(&path, reason));
        }
        let (saved, now) = (identity(&meta.config), identity(&self.config));
        if let Some(difference) = first_difference(&saved, &now, "") {
            return Err(TrainError::ConfigMismatch {
                dir: self.dir.clone(),
                difference,
            });
        }
        Ok(meta)
    }

    fn load_tensors(&self, path: &Path) -> Result<Vec<(String, Tensor)>> {
        let mut named = Tensor::load_multi(path).map_err(|e| self.corrupt(path, e))?;
        named.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(named)
    }

    fn corrupt(&self, path: &Path, reason: impl std::fmt::Display) -> TrainError {
        TrainError::CorruptCheckpoint {
            path: path.to_path_buf(),
            dir: self.dir.clone(),
            reason: reason.to_string(),
        }
    }

    fn aside(&self) -> PathBuf {
        self.sibling("old")
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.dir.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{suffix}"));
        self.dir.with_file_name(name)
    }
}

/// Settings of a run configuration that do not change its trajectory, so a checkpoint stays
/// valid when they change: its label, the iterations between checkpoints, and its length (an
/// extended run continues exactly as a longer run would have; a shorter one is refused,
/// [`TrainError::CheckpointAhead`]).
const UNTRACKED: [&str; 3] = ["label", "checkpoint_every", "iterations"];

/// A configuration without its [`UNTRACKED`] top-level settings.
fn identity(config: &serde_json::Value) -> serde_json::Value {
    let mut config = config.clone();
    if let Some(map) = config.as_object_mut() {
        UNTRACKED.iter().for_each(|k| {
            map.remove(*k);
        });
    }
    config
}

/// The first setting at which two configurations differ, as "path: saved → now".
fn first_difference(
    saved: &serde_json::Value,
    now: &serde_json::Value,
    at: &str,
) -> Option<String> {
    use serde_json::Value::Object;
    match (saved, now) {
        (Object(a), Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|k| {
                let null = serde_json::Value::Null;
                let (x, y) = (a.get(k).unwrap_or(&null), b.get(k).unwrap_or(&null));
                first_difference(x, y, &format!("{at}/{k}"))
            })
        }
        _ if saved == now => None,
        _ => Some(format!(
            "{}: saved {saved}, now {now}",
            if at.is_empty() { "/" } else { at }
        )),
    }
}

fn io(path: &Path, source: std::io::Error) -> TrainError {
    TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(dir, e)),
        _ => Ok(()),
    }
}

fn sync(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(path, e))
}

#[cfg(test)]
mod tests;
