use super::*;
use crate::data::Batches;
use mvl_manifold::testing::seeded;
use mvl_train::{Control, GroupsConfig, Observer, TrainError, train_groups};
use std::path::Path;
use tch::{Device, Kind};

/// `n` rows of width `width` in [0, 1]: two prototypes (bright first half or bright second
/// half) with uniform jitter, a tiny stand-in for MNIST.
pub(crate) fn toy_data(n: i64, width: i64) -> Tensor {
    let opts = (Kind::Float, Device::Cpu);
    let half = Tensor::arange(width, opts)
        .lt((width / 2) as f64)
        .to_kind(Kind::Float);
    let which = Tensor::arange(n, opts).remainder(2.0).unsqueeze(1);
    let proto = &which * &half + (-&which + 1.0) * (-&half + 1.0);
    (proto * 0.8 + Tensor::rand([n, width], opts) * 0.15 + 0.02).clamp(0.0, 1.0)
}

fn tiny(geometry: Geometry) -> ImplicitVaeConfig {
    ImplicitVaeConfig {
        latent: LatentSpace::new(geometry, 2).expect("valid"),
        noise_dim: 2,
        hidden: 16,
        data_dim: 16,
        ..ImplicitVaeConfig::paper(geometry, 2).expect("valid")
    }
}

/// An observer that fails after iteration `at`, as a killed process would stop.
#[derive(Debug)]
struct Kill(Option<usize>);

impl Observer for Kill {
    fn after_step(&mut self, i: usize, _: f64, _: &nn::VarStore) -> mvl_train::Result<Control> {
        match self.0 {
            Some(k) if i == k => Err(TrainError::Observer {
                label: "test".into(),
                iteration: i,
                message: "killed".into(),
            }),
            _ => Ok(Control::Continue),
        }
    }
}

fn flat(vs: &nn::VarStore) -> Vec<f32> {
    let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    let parts: Vec<Tensor> = vars.iter().map(|(_, t)| t.flatten(0, -1)).collect();
    Vec::try_from(Tensor::cat(&parts, 0)).expect("f32")
}

/// 300 iterations of the tiny implicit VAE (killed after `kill_at` when given); returns the
/// log and both groups' parameters.
fn run(
    dir: &Path,
    geometry: Geometry,
    kill_at: Option<usize>,
) -> (mvl_train::Result<mvl_train::TrainLog>, Vec<f32>, Vec<f32>) {
    tch::manual_seed(5);
    let (mut ae, mut en) = (
        nn::VarStore::new(Device::Cpu),
        nn::VarStore::new(Device::Cpu),
    );
    let model = ImplicitVae::new(&ae.root(), &en.root(), tiny(geometry)).expect("valid");
    let data = toy_data(128, 16);
    let batches = Batches::new(128, 32, 3).expect("valid");
    let batch = |i: usize| batches.batch(&data, i);
    let objective = model.default_objective().expect("valid");
    let mut step = ImplicitVaeStep::new(&model, objective.as_ref(), &batch);
    let config = GroupsConfig {
        label: "tiny implicit VAE".into(),
        iterations: 300,
        groups: groups(3e-3),
        seed: Some(9),
        checkpoint_every: 50,
        extra: serde_json::to_value(tiny(geometry)).expect("serialisable"),
    };
    let mut kill = Kill(kill_at);
    let log = train_groups(
        &config,
        &mut [&mut ae, &mut en],
        &mut step,
        &mut [&mut kill],
        Some(dir),
    );
    (log, flat(&ae), flat(&en))
}

/// The −ELBO falls (mean of the last 30 iterations at least 2 nats below the first 30; the
/// data's entropy is far below the initial ~11 nats) and a killed run resumes bit for bit.
#[test]
fn tiny_implicit_vae_learns_and_resumes_exactly() {
    let _seed = seeded(71);
    let root = std::env::temp_dir().join(format!("mvl-ae-ivae-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for geometry in [Geometry::Sphere, Geometry::Euclidean] {
        let dir = root.join(format!("{geometry:?}"));
        let (log, ae, en) = run(&dir.join("whole"), geometry, None);
        let log = log.expect("trains");
        let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
        let (first, last) = (mean(&log.losses[..30]), mean(&log.losses[270..]));
        assert!(last < first - 2.0, "{geometry:?}: −ELBO {first} → {last}");
        assert!(log.phase_losses[1].iter().all(|v| v.is_finite()));
        assert!(run(&dir.join("killed"), geometry, Some(120)).0.is_err());
        let (resumed, ae2, en2) = run(&dir.join("killed"), geometry, None);
        let resumed = resumed.expect("resumes");
        assert_eq!(resumed.resumed_at, Some(100));
        assert_eq!(resumed.phase_losses, log.phase_losses);
        assert!(
            ae2 == ae && en2 == en,
            "{geometry:?}: parameters differ after resuming"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// The −ELBO gives no gradient to the energy, the energy loss none to the encoder or decoder.
#[test]
fn each_loss_reaches_only_its_own_networks() {
    let _seed = seeded(72);
    let (ae, en) = (
        nn::VarStore::new(Device::Cpu),
        nn::VarStore::new(Device::Cpu),
    );
    let model = ImplicitVae::new(&ae.root(), &en.root(), tiny(Geometry::Sphere)).expect("valid");
    let x = crate::data::binarize(&toy_data(8, 16));
    let touched = |vs: &nn::VarStore| {
        vs.trainable_variables()
            .iter()
            .any(|v| v.grad().defined() && v.grad().abs().sum(Kind::Float).double_value(&[]) > 0.0)
    };
    model.neg_elbo(&x).expect("valid").loss.backward();
    assert!(touched(&ae) && !touched(&en));
    for v in ae.trainable_variables() {
        let _ = v.grad().zero_();
    }
    let objective = model.default_objective().expect("valid");
    model
        .energy_loss(objective.as_ref(), &x)
        .expect("valid")
        .backward();
    assert!(touched(&en) && !touched(&ae));
}

#[test]
fn bad_inputs_and_settings_are_typed_errors() {
    let (ae, en) = (
        nn::VarStore::new(Device::Cpu),
        nn::VarStore::new(Device::Cpu),
    );
    let model = ImplicitVae::new(&ae.root(), &en.root(), tiny(Geometry::Sphere)).expect("valid");
    let wrong = Tensor::zeros([4, 15], (Kind::Float, Device::Cpu));
    match model.neg_elbo(&wrong) {
        Err(AeError::ShapeMismatch { got, .. }) => assert_eq!(got, vec![4, 15]),
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    let z = Tensor::zeros([4, 2], (Kind::Float, Device::Cpu));
    assert!(matches!(
        model.decode(&z),
        Err(AeError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ImplicitVaeConfig::paper(Geometry::Sphere, 0),
        Err(AeError::InvalidConfig {
            name: "latent dimension nz",
            ..
        })
    ));
    let mut config = tiny(Geometry::Euclidean);
    config.step_size = -1.0;
    match ImplicitVae::new(&ae.root(), &en.root(), config) {
        Err(AeError::InvalidConfig { name, value, .. }) => {
            assert_eq!((name, value), ("MVL step size", -1.0))
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
    let paper = ImplicitVaeConfig::paper(Geometry::Sphere, 8).expect("valid");
    assert_eq!(
        (paper.noise_dim, paper.hidden, paper.latent.ambient_dim()),
        (8, 256, 9)
    );
    assert_eq!(
        (paper.step_size, paper.loss_scale, paper.regularizer),
        (1e-3, 1.0, 1e-4)
    );
}
