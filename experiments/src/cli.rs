//! What every experiment binary's command line shares, and the typed choices they offer.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tch::Device;

/// Where results go when `--out` is not given: never the committed `results/<name>/`.
pub const QUICK_RESULTS: &str = "results/quick";

/// Parses a finite number > 0 (a clap value parser for rates and step sizes).
pub fn positive_finite(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) => Err(format!("must be a finite number > 0, got {v}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Flags shared by the experiment binaries (flattened into each one's arguments).
#[derive(clap::Args, Debug, Clone, Serialize, Deserialize)]
pub struct CommonArgs {
    /// Output root; results go to `<out>/<experiment>/`. Default: `results/quick` (ignored
    /// by git), so only an explicit `--out results` writes the committed full-run folders.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run on the CPU even if CUDA is available.
    #[arg(long)]
    pub cpu: bool,
    /// Quick mode: a smaller run of the same protocol (each binary says what it shrinks).
    #[arg(long)]
    pub quick: bool,
    /// libtorch intra-op threads (default: libtorch's choice, one per core).
    #[arg(long)]
    pub threads: Option<i32>,
    /// Discard the checkpoints of the runs this invocation makes and train them from the
    /// start. Without it a run resumes from its checkpoint; a checkpoint of other settings is
    /// an error naming the setting (settings that do not change the result, such as
    /// --checkpoint-every or a longer run, resume).
    #[arg(long)]
    #[serde(default)]
    pub restart: bool,
}

impl CommonArgs {
    /// Applies `--threads`, keeps freed tensor memory for reuse
    /// ([`mvl_train::keep_freed_memory`]) and returns the device (CUDA when available unless
    /// `--cpu`).
    pub fn init(&self) -> Device {
        mvl_train::keep_freed_memory();
        if let Some(t) = self.threads {
            tch::set_num_threads(t);
        }
        crate::device(self.cpu)
    }

    /// The checkpoint folder `dir` of one run, emptied first with `--restart` (the folder
    /// and the copy a save keeps while it swaps them, [`mvl_train::Checkpoint`]).
    pub fn checkpoint(&self, dir: PathBuf) -> Result<PathBuf> {
        if self.restart {
            for path in [
                dir.clone(),
                dir.with_file_name(format!(
                    "{}.old",
                    dir.file_name().unwrap_or_default().to_string_lossy()
                )),
            ] {
                match std::fs::remove_dir_all(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).with_context(|| format!("removing {}", path.display()));
                    }
                    _ => {}
                }
            }
        }
        Ok(dir)
    }

    /// Creates (if needed) and returns `<out>/<name>`.
    pub fn results_dir(&self, name: &str) -> Result<PathBuf> {
        let root = self.out.clone().unwrap_or_else(|| QUICK_RESULTS.into());
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        common: CommonArgs,
    }

    #[test]
    fn quick_runs_never_write_the_committed_results() {
        for argv in [vec!["x"], vec!["x", "--quick"]] {
            let cli = Cli::try_parse_from(argv).expect("valid");
            let dir = cli.common.results_dir("cli-test").expect("creatable");
            assert!(dir.starts_with(QUICK_RESULTS), "{}", dir.display());
        }
        let _ = std::fs::remove_dir_all(PathBuf::from(QUICK_RESULTS).join("cli-test"));
        let cli = Cli::try_parse_from(["x", "--out", "elsewhere"]).expect("valid");
        assert_eq!(cli.common.out, Some(PathBuf::from("elsewhere")));
    }
}
