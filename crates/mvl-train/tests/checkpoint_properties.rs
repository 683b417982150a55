//! Property tests of checkpoints with bad contents (issue 14): files with arbitrary bytes,
//! and checkpoints saved with arbitrary states (optimiser tensors, observer JSON and tensors,
//! iterations, histories). Resuming from them is `Ok` or a typed error, never a panic (a
//! panic inside libtorch's no-grad mode would also leave autograd off for the thread). Each
//! property prints its calls and typed errors (`cargo test --release -p mvl-train --test
//! checkpoint_properties -- --nocapture`).

mod common;

use common::{config, loss, model, states, temp};
use mvl_manifold::testing::props::{any_tensor, run};
use mvl_train::{
    Checkpoint, EarlyStopping, Ema, History, Observer, ObserverState, OptimizerConfig, State,
    TrainError, train,
};
use proptest::prelude::*;
use std::path::Path;
use tch::{Tensor, nn};

/// Trains `iterations` steps with an EMA and an averaged early stopping, checkpointing into
/// `dir` every step; a resume when `dir` holds this run's checkpoint.
fn checkpointed(dir: &Path, iterations: usize) -> mvl_train::Result<()> {
    let (mut vs, vars) = model();
    let mut ema = Ema::new(0.5)?;
    let score = |_: &nn::VarStore| (loss(&vars).double_value(&[]), serde_json::Value::Null);
    let mut early = EarlyStopping::new(1, 10, score)?.averaged(Ema::new(0.9)?);
    let mut step = |_: usize| Ok(loss(&vars));
    let config = config(iterations, OptimizerConfig::adam(0.01), 1);
    let observers: &mut [&mut dyn Observer] = &mut [&mut ema, &mut early];
    train(&config, &mut vs, &mut step, observers, Some(dir))?;
    early.restore_best(&vs)?;
    ema.swap(&vs)
}

/// Damage done to one checkpoint file before a resume.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    Overwrite(usize, Vec<u8>),
    Replace(Vec<u8>),
    Delete,
}

fn damage() -> impl Strategy<Value = Damage> {
    let bytes = || prop::collection::vec(any::<u8>(), 0..=64);
    prop_oneof![
        (0..4096usize).prop_map(Damage::Truncate),
        (0..4096usize, bytes()).prop_map(|(at, b)| Damage::Overwrite(at, b)),
        bytes().prop_map(Damage::Replace),
        Just(Damage::Delete),
    ]
}

/// Applies `damage` to `path`; whether the file changed.
fn apply(path: &Path, damage: &Damage) -> bool {
    let before = std::fs::read(path).expect("a saved file");
    let after = match damage {
        Damage::Truncate(at) => before[..(*at).min(before.len())].to_vec(),
        Damage::Overwrite(at, bytes) => {
            let mut b = before.clone();
            let at = (*at).min(b.len());
            let end = (at + bytes.len()).min(b.len());
            b[at..end].copy_from_slice(&bytes[..end - at]);
            b
        }
        Damage::Replace(bytes) => bytes.clone(),
        Damage::Delete => {
            std::fs::remove_file(path).expect("remove");
            return true;
        }
    };
    std::fs::write(path, &after).expect("write");
    after != before
}

/// Checkpoint files with arbitrary bytes: a damaged tensor file is `CorruptCheckpoint`
/// (checksums), damaged metadata a typed error or, when it still parses, a resume (24 cases).
#[test]
fn damaged_checkpoints_are_typed_errors() {
    let file = prop::sample::select(vec![
        "meta.json",
        "model.ot",
        "optimizer.ot",
        "observer-0.ot",
        "observer-1.ot",
    ]);
    run(
        "mvl-train damaged checkpoints",
        24,
        (file, damage()),
        |(file, damage), tally| {
            let dir = temp();
            checkpointed(&dir, 2).expect("a fresh run");
            let changed = apply(&dir.join(file), &damage);
            let r = tally.record(checkpointed(&dir, 4).map_err(|e| {
                let corrupt = matches!(e, TrainError::CorruptCheckpoint { .. });
                assert!(corrupt || file == "meta.json", "{file}: {e}");
            }));
            assert!(r.is_none() || !changed || file == "meta.json", "{file}");
            let _ = std::fs::remove_dir_all(&dir);
        },
    );
}

/// An observer state: arbitrary JSON and tensors named like the observers' or not.
fn observer_state() -> impl Strategy<Value = (serde_json::Value, Vec<(String, Tensor)>)> {
    let json = prop::sample::select(vec![
        serde_json::Value::Null,
        serde_json::json!("garbage"),
        serde_json::json!({"curve": [], "loss_sum": [0.0, 0], "has_best": true}),
        serde_json::json!({"curve": [{"step": 1, "score": 1e308, "train_loss": -1.0,
            "details": null}], "loss_sum": [1e300, 7], "has_best": false}),
    ]);
    let names = prop::sample::select(vec!["a", "b", "best/a", "best/b", "avg/a", "avg/b", "zz"]);
    let tensors = prop::collection::vec((names.prop_map(String::from), any_tensor()), 0..=3);
    (json, tensors)
}

/// Mostly two observer states (as many as [`checkpointed`] has observers), sometimes 0 to 3.
fn observer_states() -> impl Strategy<Value = Vec<(serde_json::Value, Vec<(String, Tensor)>)>> {
    prop_oneof![
        3 => prop::collection::vec(observer_state(), 2),
        1 => prop::collection::vec(observer_state(), 0..=3),
    ]
}

/// Mostly the state of a fresh Adam on [`model`]'s variables, so that resumes get past it to
/// the observers; sometimes any of [`states`].
fn adam_states() -> impl Strategy<Value = Vec<Tensor>> {
    prop_oneof![
        2 => Just(()).prop_map(|_| {
            let (vs, _) = model();
            let opt = OptimizerConfig::adam(0.01).build(&vs).expect("valid");
            opt.state()
        }),
        1 => states(),
    ]
}

/// Checkpoints saved with arbitrary states (optimiser tensors, observer JSON and tensors,
/// iteration, history): resuming from them is `Ok` or a typed error (24 cases).
#[test]
fn resuming_arbitrary_states_never_panics() {
    let history = prop::collection::vec(-3.0..3.0f64, 0..=4);
    let strategy = (
        adam_states(),
        observer_states(),
        0..=6usize,
        any::<bool>(),
        history,
    );
    run(
        "mvl-train arbitrary states",
        24,
        strategy,
        |(optimizer, observers, iteration, stopped, losses), tally| {
            let dir = temp();
            let (vs, _) = model();
            let run = config(4, OptimizerConfig::adam(0.01), 1);
            let ck = tally
                .record(Checkpoint::new(&dir, &run))
                .expect("serialisable");
            let observers = observers
                .into_iter()
                .map(|(json, tensors)| ObserverState { json, tensors })
                .collect();
            let history = History {
                phase_losses: vec![losses.clone()],
                losses,
                seconds: 1.0,
            };
            let state = State {
                iteration,
                stopped,
                optimizers: vec![optimizer],
                observers,
                history,
            };
            tally.record(ck.save(&[&vs], &state)).expect("saved");
            tally.record(checkpointed(&dir, 4));
            let _ = std::fs::remove_dir_all(&dir);
        },
    );
}
