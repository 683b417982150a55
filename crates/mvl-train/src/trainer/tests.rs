use super::*;
use crate::error::TrainError;
use crate::observers::{EarlyStopping, Ema, Evaluation};
use crate::test_support::{Kill, flat, temp};
use crate::{Checkpoint, OptimizerConfig};
use mvl_manifold::FnEnergy;
use mvl_manifold::testing::seeded;
use mvl_objectives::{MinimumVelocity, Objective};
use tch::{Device, Kind};

fn config(iterations: usize) -> TrainConfig {
    TrainConfig {
        label: "test".into(),
        iterations,
        optimizer: OptimizerConfig::adam(1e-2),
        seed: Some(3),
        checkpoint_every: 2,
        extra: serde_json::json!({"net": "8 tanh"}),
    }
}

/// A small network energy on R², its store, and the MVL loss of a fresh Gaussian batch.
fn model() -> (nn::VarStore, nn::Sequential) {
    tch::manual_seed(7);
    let vs = nn::VarStore::new(Device::Cpu);
    let p = vs.root();
    let net = nn::seq()
        .add(nn::linear(&p / "l1", 2, 8, Default::default()))
        .add_fn(|x| x.tanh())
        .add(nn::linear(&p / "l2", 8, 1, Default::default()));
    (vs, net)
}

fn loss(net: &nn::Sequential) -> std::result::Result<Tensor, ObjectiveError> {
    let energy = FnEnergy::new(|x: &Tensor| {
        x.apply(net).squeeze_dim(-1) + x.square().sum_dim_intlist(1, false, Kind::Float) / 2.0
    });
    let x = Tensor::randn([64, 2], (Kind::Float, Device::Cpu));
    MinimumVelocity::langevin(1e-3)?.loss(&energy, &x)
}

/// Runs 9 iterations with an EMA-averaged early stopping (validation: a fixed batch's loss)
/// and a kill after `kill_at`; returns the log, the parameters and the curve.
fn run(dir: &Path, kill_at: Option<usize>) -> Result<(TrainLog, Vec<f32>, Vec<Evaluation>)> {
    let (mut vs, net) = model();
    let val = Tensor::randn([32, 2], (Kind::Float, Device::Cpu));
    let validate = |_: &nn::VarStore| {
        let v = tch::no_grad(|| val.apply(&net).mean(Kind::Float).double_value(&[]));
        (v, serde_json::json!({"raw": v}))
    };
    let mut early = EarlyStopping::new(3, 10, validate)?.averaged(Ema::new(0.5)?);
    let mut kill = Kill(kill_at);
    let mut step = |_: usize| loss(&net);
    let result = train(
        &config(9),
        &mut vs,
        &mut step,
        &mut [&mut early, &mut kill],
        Some(dir),
    );
    let log = result?;
    let curve = early.curve().to_vec();
    Ok((log, flat(&vs), curve))
}

#[test]
fn a_killed_run_resumes_exactly_with_its_history_and_observers() {
    let _seed = seeded(1);
    let root = temp("resume");
    let (whole, killed) = (root.join("whole"), root.join("killed"));
    let (log, params, curve) = run(&whole, None).expect("uninterrupted run");
    for kill_at in [4, 6] {
        assert!(run(&killed, Some(kill_at)).is_err());
    }
    let (resumed, resumed_params, resumed_curve) = run(&killed, None).expect("resumed run");
    assert_eq!(resumed.resumed_at, Some(6));
    assert_eq!(resumed.losses, log.losses);
    assert_eq!(resumed.losses.len(), 9);
    assert_eq!(resumed_params, params);
    assert_eq!(resumed_curve, curve);
    assert_eq!(curve.len(), 3);
    assert!(log.earlier_seconds == 0.0 && resumed.earlier_seconds > 0.0);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_non_finite_loss_stops_with_the_last_good_checkpoint_kept() {
    let _seed = seeded(2);
    let dir = temp("nan");
    let (mut vs, net) = model();
    let mut step = |i: usize| {
        if i == 5 {
            Ok(Tensor::from(f32::NAN) + loss(&net)?)
        } else {
            loss(&net)
        }
    };
    match train(&config(9), &mut vs, &mut step, &mut [], Some(&dir)) {
        Err(e @ TrainError::NonFiniteLoss { iteration: 5, .. }) => {
            assert!(e.to_string().contains("iteration 4 in"), "{e}")
        }
        other => panic!("expected NonFiniteLoss at 5, got {other:?}"),
    }
    let ck = Checkpoint::new(&dir, &config(9)).expect("config");
    let state = ck.restore(&mut [&mut vs]).expect("readable").expect("kept");
    assert_eq!(state.iteration, 4);
    assert!(flat(&vs).iter().all(|v| v.is_finite()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_or_foreign_checkpoints_are_errors_not_restarts() {
    let _seed = seeded(3);
    let dir = temp("damaged");
    let (mut vs, net) = model();
    let mut step = |_: usize| loss(&net);
    train(&config(4), &mut vs, &mut step, &mut [], Some(&dir)).expect("first run");
    let mut other = config(4);
    other.optimizer = OptimizerConfig::TfRmsProp { lr: 1e-2 };
    assert!(matches!(
        train(&other, &mut vs, &mut step, &mut [], Some(&dir)),
        Err(TrainError::ConfigMismatch { .. })
    ));
    std::fs::write(dir.join("optimizer.ot"), b"garbage").expect("damage");
    assert!(matches!(
        train(&config(4), &mut vs, &mut step, &mut [], Some(&dir)),
        Err(TrainError::CorruptCheckpoint { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn early_stopping_stops_after_patience_and_restores_the_best() {
    let _seed = seeded(5);
    let scores = [3.0, 2.0, f64::NAN, 1.0, 1.5, 1.2, 0.5];
    let (mut vs, net) = model();
    let mut k = 0;
    let validate = |_: &nn::VarStore| {
        k += 1;
        (scores[k - 1], serde_json::Value::Null)
    };
    let mut early = EarlyStopping::new(2, 2, validate).expect("valid");
    let mut step = |_: usize| loss(&net);
    let mut cfg = config(100);
    cfg.seed = None;
    let log = train(&cfg, &mut vs, &mut step, &mut [&mut early], None).expect("runs");
    // Evaluations at steps 2, 4, ..., 12: the best is the 4th (step 8); two more, then stop.
    assert_eq!(log.losses.len(), 12);
    let steps: Vec<usize> = early.curve().iter().map(|e| e.step).collect();
    assert_eq!(steps, [2, 4, 6, 8, 10, 12]);
    assert_eq!(early.curve()[2].score, f64::INFINITY);
    assert_eq!(early.best().map(|e| e.step), Some(8));
    let last = flat(&vs);
    assert!(early.restore_best(&vs).expect("the same model"));
    assert_ne!(flat(&vs), last);
}

#[test]
fn without_a_seed_the_loop_leaves_the_generator_alone() {
    let _seed = seeded(4);
    let reference = Tensor::randn([4], (Kind::Float, Device::Cpu));
    let (mut vs, _) = model();
    let w = vs.root().zeros("w", &[1]);
    let mut step = |_: usize| Ok((&w - 1.0).square().sum(Kind::Float));
    let mut cfg = config(3);
    cfg.seed = None;
    tch::manual_seed(4);
    train(&cfg, &mut vs, &mut step, &mut [], None).expect("runs");
    assert!(Tensor::randn([4], (Kind::Float, Device::Cpu)).equal(&reference));
}

/// Settings that do not change the trajectory do not invalidate a checkpoint: a run saved at
/// 4 iterations with checkpoints every 2 and label "test" resumes under another label and
/// checkpoint interval, extended to 7 iterations, and ends exactly where an uninterrupted
/// 7-iteration run ends; asking for fewer iterations than saved is an error.
#[test]
fn runs_resume_across_untracked_settings_and_can_be_extended_not_shortened() {
    let _seed = seeded(8);
    let root = temp("extend");
    let (whole, parts) = (root.join("whole"), root.join("parts"));
    let (mut vs, net) = model();
    let mut step = |_: usize| loss(&net);
    let log = train(&config(7), &mut vs, &mut step, &mut [], Some(&whole)).expect("whole");
    let expected = flat(&vs);
    let (mut vs, net) = model();
    let mut step = |_: usize| loss(&net);
    train(&config(4), &mut vs, &mut step, &mut [], Some(&parts)).expect("first part");
    let mut longer = config(7);
    longer.label = "renamed".into();
    longer.checkpoint_every = 3;
    let (mut vs, net) = model();
    let mut step = |_: usize| loss(&net);
    let resumed = train(&longer, &mut vs, &mut step, &mut [], Some(&parts)).expect("extended");
    assert_eq!(resumed.resumed_at, Some(4));
    assert_eq!(resumed.losses, log.losses);
    assert_eq!(flat(&vs), expected);
    assert!(matches!(
        train(&config(5), &mut vs, &mut step, &mut [], Some(&parts)),
        Err(TrainError::CheckpointAhead {
            saved: 7,
            requested: 5,
            ..
        })
    ));
    let _ = std::fs::remove_dir_all(&root);
}

/// A run that an observer stopped stays finished when rerun with more iterations.
#[test]
fn a_stopped_run_stays_stopped_when_extended() {
    let _seed = seeded(9);
    let dir = temp("stopped");
    let (mut vs, net) = model();
    let mut step = |_: usize| loss(&net);
    let mut stop_at_3 = |i: usize| {
        if i == 2 {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let mut stopper = Stopper(&mut stop_at_3);
    let log = train(
        &config(10),
        &mut vs,
        &mut step,
        &mut [&mut stopper],
        Some(&dir),
    )
    .expect("runs");
    assert_eq!(log.losses.len(), 3);
    let params = flat(&vs);
    let mut stopper = Stopper(&mut stop_at_3);
    let again = train(
        &config(20),
        &mut vs,
        &mut step,
        &mut [&mut stopper],
        Some(&dir),
    )
    .expect("reruns");
    assert_eq!((again.losses.len(), flat(&vs)), (3, params));
    let _ = std::fs::remove_dir_all(&dir);
}

/// An observer that stops the run when its function says so.
struct Stopper<'a>(&'a mut dyn FnMut(usize) -> Control);

impl std::fmt::Debug for Stopper<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stopper")
    }
}

impl Observer for Stopper<'_> {
    fn after_step(&mut self, i: usize, _: f64, _: &nn::VarStore) -> Result<Control> {
        Ok((self.0)(i))
    }
}
