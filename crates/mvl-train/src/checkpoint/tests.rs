use super::*;
use tch::{Device, Kind};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvl-train-ck-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn store() -> (nn::VarStore, Tensor) {
    let vs = nn::VarStore::new(Device::Cpu);
    let w = vs.root().var("w", &[3], nn::Init::Const(2.0));
    (vs, w)
}

fn state(iteration: usize) -> State {
    State {
        stopped: false,
        iteration,
        optimizers: vec![vec![
            Tensor::from_slice(&[5.0f32]),
            Tensor::from_slice(&[6.0f32]),
        ]],
        observers: vec![
            ObserverState {
                json: serde_json::json!({"stale": 2}),
                tensors: vec![("avg".into(), Tensor::from_slice(&[1.5f64]))],
            },
            ObserverState::default(),
        ],
        history: History {
            losses: vec![0.5; iteration],
            phase_losses: vec![vec![0.5; iteration]],
            seconds: 3.0,
        },
    }
}

#[test]
fn round_trip_restores_everything() {
    let dir = temp("round");
    let (mut vs, w) = store();
    let ck = Checkpoint::new(&dir, &serde_json::json!({"lr": 1e-3})).expect("config");
    assert!(
        ck.restore(&mut [&mut vs])
            .expect("no checkpoint yet")
            .is_none()
    );
    ck.save(&[&vs], &state(17)).expect("save");
    ck.save(&[&vs], &state(18))
        .expect("second save replaces the first");
    let _ = tch::no_grad(|| w.shallow_clone().fill_(0.0));
    let got = ck
        .restore(&mut [&mut vs])
        .expect("restore")
        .expect("present");
    assert_eq!(got.iteration, 18);
    assert_eq!(w.double_value(&[1]), 2.0);
    assert_eq!(got.optimizers[0][1].double_value(&[0]), 6.0);
    assert_eq!(got.observers[0].json["stale"], 2);
    assert_eq!(got.observers[0].tensors[0].1.double_value(&[0]), 1.5);
    assert!(got.observers[1].tensors.is_empty());
    assert_eq!(got.history, state(18).history);
    ck.clear().expect("clear");
    assert!(ck.restore(&mut [&mut vs]).expect("cleared").is_none());
}

#[test]
fn another_configuration_is_an_error_naming_the_setting() {
    let dir = temp("mismatch");
    let (mut vs, _) = store();
    let ck = Checkpoint::new(&dir, &serde_json::json!({"lr": 1e-3, "net": [8]})).expect("config");
    ck.save(&[&vs], &state(2)).expect("save");
    let other =
        Checkpoint::new(&dir, &serde_json::json!({"lr": 1e-2, "net": [8]})).expect("config");
    match other.restore(&mut [&mut vs]) {
        Err(TrainError::ConfigMismatch { difference, .. }) => {
            assert!(
                difference.starts_with("/lr: saved 0.001, now 0.01"),
                "{difference}"
            )
        }
        other => panic!("expected ConfigMismatch, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_or_missing_files_are_errors_naming_the_file() {
    let dir = temp("corrupt");
    let (mut vs, _) = store();
    let ck = Checkpoint::new(&dir, &serde_json::json!({})).expect("config");
    for (file, damage) in [
        ("model.ot", "truncate"),
        ("optimizer.ot", "delete"),
        ("meta.json", "truncate"),
    ] {
        ck.save(&[&vs], &state(4)).expect("save");
        let path = dir.join(file);
        if damage == "delete" {
            std::fs::remove_file(&path).expect("delete");
        } else {
            let bytes = std::fs::read(&path).expect("read");
            std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
        }
        match ck.restore(&mut [&mut vs]) {
            Err(e @ TrainError::CorruptCheckpoint { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains(file) && message.contains("delete"),
                    "{message}"
                );
            }
            other => panic!("{file} ({damage}): expected CorruptCheckpoint, got {other:?}"),
        }
        ck.clear().expect("clear");
    }
}

#[test]
fn a_kill_between_the_renames_keeps_the_previous_checkpoint() {
    let dir = temp("swap");
    let (mut vs, _) = store();
    let ck = Checkpoint::new(&dir, &serde_json::json!({})).expect("config");
    ck.save(&[&vs], &state(6)).expect("save");
    // The state right after `old → aside` and before `tmp → dir`.
    std::fs::rename(&dir, ck.aside()).expect("move aside");
    let got = ck
        .restore(&mut [&mut vs])
        .expect("restore")
        .expect("the aside copy");
    assert_eq!(got.iteration, 6);
    ck.save(&[&vs], &state(8)).expect("a later save recovers");
    assert!(!ck.aside().exists());
    assert_eq!(
        ck.restore(&mut [&mut vs])
            .expect("ok")
            .expect("present")
            .iteration,
        8
    );
    ck.clear().expect("clear");
    let _ = Kind::Float;
}
