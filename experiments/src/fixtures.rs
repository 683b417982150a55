//! The data and reference networks that the binaries, the benchmarks (`benches/`) and the
//! cross-crate tests (`tests/`) share, so that a workload has one definition.

use crate::nets::{Activation, mlp};
use std::path::{Path, PathBuf};
use tch::{Device, Kind, Tensor, nn};

/// `n` points of the 2-D banana of Figure 1: x₁ ~ N(0, 1), x₂ | x₁ ~ N(x₁² − 1, 1)
/// (Wenliang et al. 2019 with bananicity 1 and σ = 1; paper-spec §3.1), `[n, 2]`.
pub fn banana(n: i64, options: (Kind, Device)) -> Tensor {
    let x1 = Tensor::randn([n], options);
    let x2 = x1.square() - 1.0 + Tensor::randn([n], options);
    Tensor::stack(&[x1, x2], 1)
}

/// The reference scalar energy network d → hidden… → 1 with tanh, TensorFlow's
/// initialisation ([`crate::nets::glorot_linear`]); `E(x)` is its output squeezed to `[b]`
/// (wrap it in `mvl_manifold::ModuleEnergy`).
pub fn reference_mlp(path: &nn::Path, dim: i64, hidden: &[i64]) -> nn::Sequential {
    let mut widths = vec![dim];
    widths.extend_from_slice(hidden);
    widths.push(1);
    mlp(path, &widths, Activation::Tanh)
}

/// Whether tests must fail rather than skip when their data is missing: `MVL_REQUIRE_DATA=1`
/// (set by `.ci/run`, which always provides the data).
fn data_required() -> bool {
    std::env::var_os("MVL_REQUIRE_DATA").is_some_and(|v| v == "1")
}

/// Reports missing test data: a panic when [`data_required`], else a printed skip.
fn missing(what: &str) {
    assert!(!data_required(), "MVL_REQUIRE_DATA=1 but {what} is missing");
    eprintln!("skipped: {what} is missing");
}

/// The earth-science data folder for tests: `$MVL_EARTH_DATA`, else `../shared/data/earth`
/// next to the checkout; `None` (a skip) when missing, unless `MVL_REQUIRE_DATA=1`.
pub fn earth_data() -> Option<PathBuf> {
    let dir = std::env::var_os(crate::earth::DATA_ENV).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/earth"),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    missing(&format!("the earth data folder {}", dir.display()));
    None
}

/// Whether the MNIST files are where `mvl_ae::data::default_dir` looks (`scripts/setup
/// --mnist`); `false` (a skip) when missing, unless `MVL_REQUIRE_DATA=1`.
pub fn mnist_present() -> bool {
    let dir = mvl_ae::data::default_dir();
    if mvl_ae::data::Mnist::load(&dir).is_ok() {
        return true;
    }
    missing(&format!(
        "MNIST in {} (scripts/setup --mnist)",
        dir.display()
    ));
    false
}
