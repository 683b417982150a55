//! Result folders, JSON/CSV writers and progress bars.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Creates (if needed) and returns `<root>/<name>`, the folder of one experiment's outputs.
pub fn results_dir(root: &Path, name: &str) -> Result<PathBuf> {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Writes `value` as pretty JSON to `path`, atomically (temp file + rename), so a killed run
/// never leaves a truncated summary.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    write_atomic(path, text.as_bytes())
}

/// The JSON value at `path`, or `T::default()` when the file does not exist (an unreadable or
/// unparsable file is an error, so that it is never silently replaced).
pub fn read_json_or_default<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes a CSV file with the given header and rows, atomically.
pub fn write_csv(path: &Path, header: &[&str], rows: &[Vec<f64>]) -> Result<()> {
    let mut text = header.join(",");
    text.push('\n');
    for row in rows {
        let cells: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}

/// Writes every 10th value of a per-iteration loss curve as the CSV columns
/// `iteration,<name>`, and returns the mean of the last 1,000 values (the run's final loss).
pub fn write_loss_curve(path: &Path, name: &str, losses: &[f64]) -> Result<f64> {
    let rows: Vec<Vec<f64>> = losses
        .iter()
        .enumerate()
        .step_by(10)
        .map(|(i, l)| vec![i as f64, *l])
        .collect();
    write_csv(path, &["iteration", name], &rows)?;
    let tail = &losses[losses.len().saturating_sub(1000)..];
    Ok(tail.iter().sum::<f64>() / tail.len().max(1) as f64)
}

/// Writes bytes to `path` through a temporary file in the same folder and a rename. The
/// temporary name is unique to the process and the call, so concurrent writers (threads or
/// processes) never share one: each rename installs one complete file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}-{call}.tmp~", std::process::id()));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

/// Progress of a long loop: a bar on a terminal, and a line every 10% otherwise (logs of
/// background runs).
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    label: String,
    len: u64,
    pos: u64,
    start: std::time::Instant,
    /// The position at `start` (non-zero after a resume), for the rate.
    start_pos: u64,
    message: String,
    terminal: bool,
}

impl Progress {
    /// Advances by `n` steps.
    pub fn inc(&mut self, n: u64) {
        let before = self.pos * 10 / self.len.max(1);
        self.pos += n;
        self.bar.inc(n);
        if !self.terminal && self.pos * 10 / self.len.max(1) > before {
            let secs = self.start.elapsed().as_secs_f64();
            let rate = (self.pos - self.start_pos) as f64 / secs.max(1e-9);
            eprintln!(
                "{}: {}/{} ({secs:.0} s, {rate:.1} it/s) {}",
                self.label, self.pos, self.len, self.message
            );
        }
    }

    /// Jumps to `pos` (after a resume).
    pub fn set_position(&mut self, pos: u64) {
        self.pos = pos;
        self.start_pos = pos;
        self.start = std::time::Instant::now();
        self.bar.set_position(pos);
    }

    /// Sets the bar's message (e.g. the current loss).
    pub fn set_message(&mut self, msg: String) {
        self.bar.set_message(msg.clone());
        self.message = msg;
    }

    /// Counts iteration `iteration` (0-based) as done, finishing the bar after the last.
    pub fn step_done(&mut self, iteration: usize) {
        self.inc(1);
        if iteration + 1 == self.len as usize {
            self.finish();
        }
    }

    /// Ends the bar.
    pub fn finish(&self) {
        self.bar.finish();
    }
}

impl mvl_train::Observer for Progress {
    fn begin(&mut self, start: usize, iterations: usize) {
        self.len = iterations as u64;
        self.bar.set_length(self.len);
        self.set_position(start as u64);
    }

    fn after_step(
        &mut self,
        iteration: usize,
        loss: f64,
        vs: &tch::nn::VarStore,
    ) -> mvl_train::Result<mvl_train::Control> {
        self.after_phases(iteration, &[loss], &[vs])
    }

    /// Shows every phase's loss (e.g. "loss 152.3 / -0.0041" for the −ELBO and the energy
    /// loss of an implicit VAE).
    fn after_phases(
        &mut self,
        iteration: usize,
        losses: &[f64],
        _: &[&tch::nn::VarStore],
    ) -> mvl_train::Result<mvl_train::Control> {
        let shown: Vec<String> = losses.iter().map(|l| format!("{l:.4}")).collect();
        self.set_message(format!("loss {}", shown.join(" / ")));
        self.step_done(iteration);
        Ok(mvl_train::Control::Continue)
    }
}

/// A progress indicator over `len` steps labelled `label`, on stderr.
pub fn progress(len: u64, label: &str) -> Progress {
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template(
        "{prefix:>16} [{bar:30}] {pos}/{len} {elapsed}<{eta} {per_sec} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(label.to_owned());
    Progress {
        bar,
        label: label.to_owned(),
        len,
        pos: 0,
        start: std::time::Instant::now(),
        start_pos: 0,
        message: String::new(),
        terminal: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four threads each write the same file 25 times with their own complete contents: every
    /// write succeeds, the file ends up as one writer's full text, and no temporary is left.
    #[test]
    fn concurrent_atomic_writes_never_mix_or_fail() {
        let dir = std::env::temp_dir().join(format!("mvl-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp folder");
        let path = dir.join("summary.json");
        let texts: Vec<String> = (0..4).map(|t| format!("{t}").repeat(10_000)).collect();
        std::thread::scope(|s| {
            for text in &texts {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..25 {
                        write_atomic(path, text.as_bytes()).expect("write");
                    }
                });
            }
        });
        let last = std::fs::read_to_string(&path).expect("read");
        assert!(texts.contains(&last), "mixed contents");
        let entries = std::fs::read_dir(&dir).expect("list").count();
        assert_eq!(entries, 1, "temporaries left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
