//! Property tests of the public constructors of the training crate with bad values (issue
//! 14): optimiser, observer, run and group settings from NaN, ±∞, 0, huge and tiny values,
//! optimiser states of any shapes, kinds and values, and group names of any characters. Every
//! call returns `Ok` exactly when its documented conditions hold, or a typed error; nothing
//! panics. Each property prints its calls and typed errors (`cargo test --release -p
//! mvl-train --test properties -- --nocapture`).

mod common;

use common::{config, loss, model, states, temp};
use mvl_manifold::testing::props::{run, value};
use mvl_objectives::ObjectiveError;
use mvl_train::{
    Adam, Checkpoint, EarlyStopping, Ema, GroupConfig, GroupsConfig, OptimizerConfig, TfRmsProp,
    TrainError, train, train_groups,
};
use proptest::prelude::*;
use tch::{Tensor, nn};

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

fn unit(v: f64) -> bool {
    (0.0..1.0).contains(&v)
}

fn optimizers(lr: f64, b1: f64, b2: f64, eps: f64) -> [(OptimizerConfig, bool); 3] {
    let adam = OptimizerConfig::Adam {
        lr,
        beta1: b1,
        beta2: b2,
        eps,
    };
    let rms = OptimizerConfig::TfRmsProp { lr };
    let valid = positive(lr) && unit(b1) && unit(b2) && positive(eps);
    [
        (adam, valid),
        (rms, positive(lr)),
        (OptimizerConfig::adam(lr), positive(lr)),
    ]
}

/// Optimiser and observer constructors, state loading and a step, and short runs without
/// checkpoints, with any settings: `Ok` exactly for valid settings (a run may still stop
/// with `NonFiniteLoss` at a huge learning rate) (64 cases).
#[test]
fn settings_and_optimizer_states_are_validated() {
    let numbers = (value(), value(), value(), value(), 0..=2usize, 0..=2usize);
    run(
        "mvl-train settings",
        64,
        (numbers, states(), 0..=3usize),
        |((lr, b1, b2, eps, every, patience), state, iterations), tally| {
            for (optimizer, valid) in optimizers(lr, b1, b2, eps) {
                let (mut vs, vars) = model();
                let built = tally.record(optimizer.build(&vs));
                assert_eq!(built.is_some(), valid, "{optimizer:?}");
                if let Some(mut opt) = built {
                    let copies = state.iter().map(Tensor::copy).collect();
                    if tally.record(opt.load_state(copies)).is_some() {
                        loss(&vars).backward();
                        opt.step(&vs);
                    }
                }
                let mut step = |_: usize| Ok(loss(&vars));
                let r = train(
                    &config(iterations, optimizer, every),
                    &mut vs,
                    &mut step,
                    &mut [],
                    None,
                );
                let ok = valid && every >= 1;
                assert!(r.is_ok() || !ok || matches!(r, Err(TrainError::NonFiniteLoss { .. })));
                assert!(tally.record(r).is_none() || ok);
            }
            let vs = model().0;
            tally.record(TfRmsProp::new(&vs, lr));
            tally.record(Adam::new(&vs, lr, b1, b2, eps));
            assert_eq!(tally.record(Ema::new(b1)).is_some(), unit(b1));
            let validate = |_: &nn::VarStore| (lr, serde_json::Value::Null);
            let early = EarlyStopping::new(every, patience, validate);
            assert_eq!(tally.record(early).is_some(), every >= 1 && patience >= 1);
        },
    );
}

/// Runs with parameter groups of any names, counts, stores and settings, and checkpoints of
/// any group names: `Ok` exactly for non-empty, distinct names of ASCII letters, digits, `-`
/// and `_`, one store per group and valid settings (48 cases).
#[test]
fn group_settings_are_validated() {
    let name = prop::sample::select(vec!["", "a", "b", "a/b", "..", "é", "energy", "x-1_y"]);
    let names = prop::collection::vec(name.prop_map(String::from), 0..=3);
    let strategy = (names, value(), 0..=3usize, 0..=2usize, 0..=2usize);
    run(
        "mvl-train groups",
        48,
        strategy,
        |(names, lr, stores, every, iterations), tally| {
            let ok_name = |n: &String| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            };
            let distinct = names
                .iter()
                .enumerate()
                .all(|(k, n)| !names[..k].contains(n));
            let valid_names = !names.is_empty() && names.iter().all(ok_name) && distinct;
            let dir = temp();
            let unnamed = names == [String::new()];
            let ck = tally.record(Checkpoint::with_groups(&dir, &lr, names.clone()));
            assert_eq!(ck.is_some(), valid_names || unnamed, "{names:?}");
            let config = GroupsConfig {
                label: "props".into(),
                iterations,
                groups: names
                    .iter()
                    .map(|n| GroupConfig {
                        name: n.clone(),
                        optimizer: OptimizerConfig::TfRmsProp { lr },
                    })
                    .collect(),
                seed: None,
                checkpoint_every: every,
                extra: serde_json::Value::Null,
            };
            let mut models: Vec<(nn::VarStore, Vec<Tensor>)> =
                (0..stores).map(|_| model()).collect();
            let vars: Vec<Vec<Tensor>> = models
                .iter()
                .map(|(_, v)| v.iter().map(Tensor::shallow_clone).collect())
                .collect();
            let mut step = |_: usize, k: usize| Ok::<_, ObjectiveError>(loss(&vars[k]));
            let mut refs: Vec<&mut nn::VarStore> = models.iter_mut().map(|(vs, _)| vs).collect();
            let r = train_groups(&config, &mut refs, &mut step, &mut [], Some(&dir));
            let ok = valid_names && stores == names.len() && positive(lr) && every >= 1;
            assert!(
                r.is_ok() || !ok || matches!(r, Err(TrainError::NonFiniteLoss { .. })),
                "{r:?}"
            );
            assert!(tally.record(r).is_none() || ok, "{names:?}");
            let _ = std::fs::remove_dir_all(&dir);
        },
    );
}
