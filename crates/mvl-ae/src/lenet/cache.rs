//! Caching the classifier's weights, verified by SHA-256 on load.

use super::{Lenet, LenetConfig};
use crate::data::Mnist;
use crate::error::{AeError, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tch::Device;

/// What is stored next to the weights (`WEIGHTS.json`).
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// SHA-256 (hex) of the weights file.
    sha256: String,
    /// The test accuracy measured after training.
    test_accuracy: f64,
    /// The settings it was trained with.
    config: LenetConfig,
}

/// The record's path: the weights' path with `.json` appended.
pub(super) fn record_path(weights: &Path) -> PathBuf {
    let mut name = weights.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AeError + '_ {
    move |source| AeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sha256_hex(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    Ok(Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

impl LenetConfig {
    /// Where [`Lenet::load_or_train`] keeps a classifier of these settings by default:
    /// `<cache>/lenet/lenet-e<epochs>-b<batch>-lr<lr>-s<seed>-n<images|all>.safetensors`
    /// under [`crate::data::cache_dir`], one file per setting, so that classifiers of
    /// different settings (a quick one, the full one) do not replace each other.
    pub fn default_path(&self) -> PathBuf {
        let images = self
            .train_subset
            .map_or_else(|| "all".to_string(), |n| n.to_string());
        crate::data::cache_dir().join("lenet").join(format!(
            "lenet-e{}-b{}-lr{}-s{}-n{images}.safetensors",
            self.epochs, self.batch_size, self.lr, self.seed
        ))
    }
}

impl Lenet {
    /// Saves the weights to `path` (libtorch's format, chosen by its extension as
    /// [`tch::nn::VarStore::save`] does; `.safetensors` recommended) and the record (digest,
    /// settings, test accuracy) to `path.json`, each written to a temporary file first and
    /// renamed, so that an interrupted save leaves no half-written cache.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        // Keep the extension last: libtorch picks the format from it.
        let tmp = path.with_file_name(format!(
            "tmp{}-{}",
            std::process::id(),
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ));
        self.vs.save(&tmp)?;
        let record = Record {
            sha256: sha256_hex(&tmp)?,
            test_accuracy: self.test_accuracy,
            config: self.config,
        };
        std::fs::rename(&tmp, path).map_err(io(path))?;
        let json = record_path(path);
        let json_tmp = record_path(&tmp);
        let text = serde_json::to_string_pretty(&record).unwrap_or_default();
        std::fs::write(&json_tmp, text).map_err(io(&json_tmp))?;
        std::fs::rename(&json_tmp, &json).map_err(io(&json))
    }

    /// Loads weights saved by [`Lenet::save`] onto `device`, after checking their SHA-256
    /// digest against the record. Errors: [`AeError::Io`] when a file cannot be read;
    /// [`AeError::CorruptCache`] naming the file when the record is unreadable or the digest
    /// differs; [`AeError::Torch`] when libtorch cannot read the weights.
    pub fn load(path: &Path, device: Device) -> Result<Self> {
        let json = record_path(path);
        let text = std::fs::read_to_string(&json).map_err(io(&json))?;
        let record: Record = serde_json::from_str(&text).map_err(|e| AeError::CorruptCache {
            path: json.clone(),
            reason: format!("unreadable record ({e})"),
        })?;
        let got = sha256_hex(path)?;
        if got != record.sha256 {
            return Err(AeError::CorruptCache {
                path: path.to_path_buf(),
                reason: format!(
                    "SHA-256 {got}, expected {} (from {})",
                    record.sha256,
                    json.display()
                ),
            });
        }
        let mut net = Self::untrained(device, record.config);
        net.vs.load(path)?;
        net.test_accuracy = record.test_accuracy;
        Ok(net)
    }

    /// The classifier cached at `path` if it was trained with `config`, else one trained
    /// now on `mnist()` ([`Lenet::train`]) and saved there. A cache trained with other
    /// settings is replaced; a damaged one is an error ([`Lenet::load`]), not silently
    /// retrained.
    pub fn load_or_train(
        path: &Path,
        mnist: impl FnOnce() -> Result<Mnist>,
        config: LenetConfig,
        device: Device,
    ) -> Result<Self> {
        if path.exists() {
            let net = Self::load(path, device)?;
            if net.config == config {
                return Ok(net);
            }
        }
        let net = Self::train(&mnist()?, config, device)?;
        net.save(path)?;
        Ok(net)
    }
}
