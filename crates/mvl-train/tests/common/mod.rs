//! Helpers shared by the property tests of the training crate: a small model, its loss, a
//! run configuration, optimiser states and temporary folders.

use mvl_manifold::testing::props::{any_tensor, kind, value};
use mvl_train::{OptimizerConfig, TrainConfig};
use proptest::prelude::*;
use std::path::PathBuf;
use tch::{Device, Kind, Tensor, nn};

/// A store with variables of shapes `[3]` and `[2, 2]` in f64, and the variables.
pub fn model() -> (nn::VarStore, Vec<Tensor>) {
    let mut vs = nn::VarStore::new(Device::Cpu);
    vs.set_kind(Kind::Double);
    let a = vs.root().var("a", &[3], nn::Init::Const(0.5));
    let b = vs.root().var("b", &[2, 2], nn::Init::Const(-0.5));
    (vs, vec![a, b])
}

/// Σ (θ − 1)² over `vars`.
pub fn loss(vars: &[Tensor]) -> Tensor {
    let terms: Vec<Tensor> = vars
        .iter()
        .map(|v| (v - 1.0).square().sum(Kind::Double))
        .collect();
    Tensor::stack(&terms, 0).sum(Kind::Double)
}

/// A run of `iterations` steps with `optimizer`, seeded, checkpointed every `every`.
pub fn config(iterations: usize, optimizer: OptimizerConfig, every: usize) -> TrainConfig {
    TrainConfig {
        label: "props".into(),
        iterations,
        optimizer,
        seed: Some(1),
        checkpoint_every: every,
        extra: serde_json::Value::Null,
    }
}

/// Optimiser states: tensors of any shapes, or of the right shapes in any kind and values.
pub fn states() -> impl Strategy<Value = Vec<Tensor>> {
    let like = |shape: &'static [i64]| {
        (kind(), prop::collection::vec(value(), 1..=4)).prop_map(move |(k, v)| {
            let n: i64 = shape.iter().product();
            let t = Tensor::from_slice(&v).repeat([n]).narrow(0, 0, n);
            t.view(shape).to_kind(k)
        })
    };
    prop_oneof![
        prop::collection::vec(any_tensor(), 0..=5),
        (like(&[3]), like(&[2, 2])).prop_map(|(a, b)| vec![a, b]),
        (
            like(&[3]),
            like(&[2, 2]),
            like(&[3]),
            like(&[2, 2]),
            like(&[])
        )
            .prop_map(|(a, b, c, d, t)| vec![a, b, c, d, t]),
    ]
}

/// A fresh temporary folder for one case.
pub fn temp() -> PathBuf {
    static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let case = CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mvl-train-props-{}-{case}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
