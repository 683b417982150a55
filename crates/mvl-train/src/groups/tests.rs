use super::*;
use crate::test_support::{Kill, flat, temp};
use mvl_manifold::testing::seeded;
use tch::{Device, Kind};

/// Two groups: a "model" (a, and b which no loss uses) and a "critic" c.
fn stores() -> (nn::VarStore, nn::VarStore, Tensor, Tensor) {
    tch::manual_seed(11);
    let model = nn::VarStore::new(Device::Cpu);
    let critic = nn::VarStore::new(Device::Cpu);
    let a = model.root().randn("a", &[3], 0.0, 1.0);
    let _b = model.root().randn("b", &[2], 0.0, 1.0);
    let c = critic.root().randn("c", &[3], 0.0, 1.0);
    (model, critic, a, c)
}

fn config(iterations: usize) -> GroupsConfig {
    let group = |name: &str, optimizer| GroupConfig {
        name: name.into(),
        optimizer,
    };
    GroupsConfig {
        label: "pair".into(),
        iterations,
        groups: vec![
            group("model", OptimizerConfig::TfRmsProp { lr: 1e-2 }),
            group("critic", OptimizerConfig::adam(1e-2)),
        ],
        seed: Some(5),
        checkpoint_every: 2,
        extra: serde_json::json!({}),
    }
}

/// Phase 0: a noisy regression of a on 1, weighted by exp(c) (its graph reaches the critic);
/// phase 1: c regresses on the updated a (its graph reaches the model).
fn loss(a: &Tensor, c: &Tensor, k: usize) -> Tensor {
    let noise = Tensor::randn([3], (Kind::Float, Device::Cpu)) * 0.1;
    match k {
        0 => ((a - 1.0 + noise) * c.exp()).square().sum(Kind::Float),
        _ => (c - a + noise).square().sum(Kind::Float),
    }
}

fn run_pair(dir: &Path, kill_at: Option<usize>) -> Result<(TrainLog, Vec<f32>, Vec<f32>)> {
    let (mut model, mut critic, a, c) = stores();
    let mut kill = Kill(kill_at);
    let mut step = |_: usize, k: usize| Ok::<_, TrainError>(loss(&a, &c, k));
    let log = train_groups(
        &config(7),
        &mut [&mut model, &mut critic],
        &mut step,
        &mut [&mut kill],
        Some(dir),
    )?;
    Ok((log, flat(&model), flat(&critic)))
}

#[test]
fn a_killed_two_group_run_resumes_exactly() {
    let _seed = seeded(21);
    let root = temp("groups-resume");
    let (whole, killed) = (root.join("whole"), root.join("killed"));
    let (log, model, critic) = run_pair(&whole, None).expect("uninterrupted run");
    for file in ["model-model.ot", "optimizer-critic.ot", "model-critic.ot"] {
        assert!(whole.join(file).is_file(), "{file}");
    }
    assert!(run_pair(&killed, Some(4)).is_err());
    let (resumed, resumed_model, resumed_critic) = run_pair(&killed, None).expect("resumed");
    assert_eq!(resumed.resumed_at, Some(4));
    assert_eq!(resumed.phase_losses, log.phase_losses);
    assert_eq!(resumed.phase_losses.len(), 2);
    assert_eq!(resumed.phase_losses[1].len(), 7);
    assert_eq!(resumed.losses, log.phase_losses[0]);
    assert_eq!((resumed_model, resumed_critic), (model, critic));
    // Another optimiser for the critic is another run.
    let mut other = config(7);
    other.groups[1].optimizer = OptimizerConfig::adam(1e-3);
    let (mut m, mut c, a, cc) = stores();
    let mut step = |_: usize, k: usize| Ok::<_, TrainError>(loss(&a, &cc, k));
    let result = train_groups(
        &other,
        &mut [&mut m, &mut c],
        &mut step,
        &mut [],
        Some(&whole),
    );
    match result {
        Err(TrainError::ConfigMismatch { difference, .. }) => {
            assert!(difference.starts_with("/groups"), "{difference}")
        }
        other => panic!("expected ConfigMismatch, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn each_phase_moves_only_its_own_group() {
    let _seed = seeded(22);
    let (mut model, mut critic, a, c) = stores();
    let (a0, c0, b0) = (a.copy(), c.copy(), flat(&model)[3..].to_vec());
    let mut c_before_phase1 = None;
    // Phase 1 has a zero gradient for c: had phase 0's gradient of c (or phase 1's of a)
    // been kept, TF1 RMSProp would move the parameter (its update is g/√v, not zero).
    let mut step = |_: usize, k: usize| {
        if k == 0 {
            return Ok::<_, TrainError>(loss(&a, &c, 0));
        }
        c_before_phase1 = Some(c.copy());
        Ok((&a * &c * 0.0).sum(Kind::Float))
    };
    let mut cfg = config(1);
    cfg.groups[1].optimizer = OptimizerConfig::TfRmsProp { lr: 1e-2 };
    let stores: &mut [&mut nn::VarStore] = &mut [&mut model, &mut critic];
    train_groups(&cfg, stores, &mut step, &mut [], None).expect("runs");
    assert!(
        c_before_phase1.expect("phase 1 ran").equal(&c0),
        "phase 0 moved c"
    );
    assert!(
        c.equal(&c0),
        "phase 0's gradient of c leaked into phase 1's update"
    );
    assert!(!a.equal(&a0), "phase 0 did not move a");
    assert_eq!(
        flat(&model)[3..].to_vec(),
        b0,
        "b has no gradient and must stay"
    );
}

#[test]
fn a_non_finite_phase_is_named_and_the_checkpoint_kept() {
    let _seed = seeded(23);
    let dir = temp("groups-nan");
    let (mut model, mut critic, a, c) = stores();
    let mut step = |i: usize, k: usize| {
        let l = loss(&a, &c, k);
        Ok::<_, TrainError>(if i == 3 && k == 1 { l * f64::NAN } else { l })
    };
    let result = train_groups(
        &config(6),
        &mut [&mut model, &mut critic],
        &mut step,
        &mut [],
        Some(&dir),
    );
    match result {
        Err(e @ TrainError::NonFiniteLoss { iteration: 3, .. }) => {
            let message = e.to_string();
            assert!(message.contains("phase critic") && message.contains("iteration 2 in"));
        }
        other => panic!("expected NonFiniteLoss at 3, got {other:?}"),
    }
    let names = vec!["model".to_owned(), "critic".to_owned()];
    let ck = Checkpoint::with_groups(&dir, &config(6), names).expect("config");
    let state = ck
        .restore(&mut [&mut model, &mut critic])
        .expect("ok")
        .expect("kept");
    assert_eq!(state.iteration, 2);
    assert_eq!(state.history.phase_losses[1].len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failing_phases_and_bad_groups_are_typed_errors() {
    let (mut model, mut critic, a, c) = stores();
    let mut step = |_: usize, k: usize| match k {
        0 => Ok(loss(&a, &c, 0)),
        _ => Err(TrainError::InvalidParameter {
            name: "width",
            value: 3.0,
            reason: "test",
        }),
    };
    let mut cfg = config(2);
    cfg.seed = None;
    match train_groups(
        &cfg,
        &mut [&mut model, &mut critic],
        &mut step,
        &mut [],
        None,
    ) {
        Err(TrainError::Phase {
            iteration: 0,
            phase,
            source,
            ..
        }) => assert!(phase == "critic" && source.to_string().contains("width = 3")),
        other => panic!("expected Phase, got {other:?}"),
    }
    let bad = |name: &str, stores: usize| {
        let mut cfg = cfg.clone();
        cfg.groups[1].name = name.into();
        let mut store = nn::VarStore::new(Device::Cpu);
        let mut store2 = nn::VarStore::new(Device::Cpu);
        let all: &mut [&mut nn::VarStore] = &mut [&mut store, &mut store2];
        let mut step = |_: usize, _: usize| Ok::<_, TrainError>(Tensor::from(0.0));
        train_groups(&cfg, &mut all[..stores], &mut step, &mut [], None)
    };
    for (name, stores) in [("model", 2), ("a b", 2), ("", 2), ("critic", 1)] {
        match bad(name, stores) {
            Err(TrainError::InvalidGroup { .. }) => {}
            other => panic!("{name:?}, {stores} stores: expected InvalidGroup, got {other:?}"),
        }
    }
}
