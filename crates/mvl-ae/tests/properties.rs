//! Property tests of the public entry points of mvl-ae with bad values (issue 14): latent
//! spaces, model settings, batch streams, AIS settings, and the models' encode / decode /
//! −ELBO / energy loss / test log-likelihood on tensors of any shape, kind (f32, f64, i64)
//! and values (NaN, ±∞, 0, huge, tiny). Every call returns a typed error or a value; none
//! panics. The counts print with `-- --nocapture`.

use mvl_ae::ais::{Ais, Prior, sigmoid_schedule};
use mvl_ae::data::{Batches, binarize};
use mvl_ae::explicit_vae::{ExplicitVae, ExplicitVaeConfig, Posterior};
use mvl_ae::fid::{FeatureStats, frechet_distance};
use mvl_ae::implicit_vae::{ImplicitVae, ImplicitVaeConfig};
use mvl_ae::latent::{Geometry, LatentSpace};
use mvl_ae::wae::{Wae, WaeConfig, WaeMethod, mmd};
use mvl_ae::{AeError, MvlFlow, test_log_likelihood};
use mvl_manifold::testing::props::{batch, run, value};
use proptest::prelude::*;
use tch::{Device, Kind, nn};

#[test]
fn settings_and_constructors_validate_any_value() {
    let ints = prop::sample::select(vec![i64::MIN, -1, 0, 1, 2, 5, i64::MAX]);
    let sizes = prop::sample::select(vec![0usize, 1, 2, 3, 1000, usize::MAX]);
    run(
        "mvl-ae settings",
        60,
        (ints.clone(), ints, sizes.clone(), sizes, value()),
        |(a, b, n, m, x), t| {
            for geometry in [Geometry::Euclidean, Geometry::Sphere] {
                t.record(LatentSpace::new(geometry, a));
                if let Some(mut config) =
                    t.record(ImplicitVaeConfig::paper(geometry, a.clamp(-3, 3)))
                {
                    config.noise_dim = b.clamp(-3, 3);
                    config.step_size = x;
                    config.regularizer = x;
                    t.record(config.validate());
                }
            }
            for posterior in [Posterior::Gaussian, Posterior::VonMisesFisher] {
                t.record(ExplicitVaeConfig::paper(posterior, a).and_then(|c| c.latent()));
            }
            t.record(Batches::new(n, m, 0));
            t.record(Prior::standard_normal(a).map_err(AeError::from));
            t.record(Prior::uniform_sphere(a).map_err(AeError::from));
            t.record(sigmoid_schedule(m.min(5000)).map_err(AeError::from));
            if let Some(prior) = t.record(Prior::standard_normal(2).map_err(AeError::from)) {
                t.record(Ais::new(prior, n.min(64), m.min(64)).map_err(AeError::from));
            }
        },
    );
}

/// Small models (widths 4 of data, 8 hidden, nz 2) on arbitrary tensors.
#[test]
fn models_take_any_tensor_or_fail_with_a_typed_error() {
    let _seed = mvl_manifold::testing::seeded(5);
    let (ae, energy, ex) = (
        nn::VarStore::new(Device::Cpu),
        nn::VarStore::new(Device::Cpu),
        nn::VarStore::new(Device::Cpu),
    );
    let mut implicit = Vec::new();
    for geometry in [Geometry::Euclidean, Geometry::Sphere] {
        let mut config = ImplicitVaeConfig::paper(geometry, 2).expect("valid");
        (config.hidden, config.data_dim) = (8, 4);
        let name = format!("{geometry:?}");
        implicit.push(
            ImplicitVae::new(&(ae.root() / &name), &(energy.root() / &name), config)
                .expect("valid"),
        );
    }
    let mut explicit = Vec::new();
    for posterior in [Posterior::Gaussian, Posterior::VonMisesFisher] {
        let mut config = ExplicitVaeConfig::paper(posterior, 2).expect("valid");
        (config.hidden, config.data_dim) = (8, 4);
        explicit.push(
            ExplicitVae::new(&(ex.root() / format!("{posterior:?}")), config).expect("valid"),
        );
    }
    run("mvl-ae models", 60, batch(vec![3, 4, 5, 6]), |x, t| {
        let _ = binarize(&x.to_kind(Kind::Float));
        for m in &implicit {
            t.record(m.encode(&x));
            t.record(m.decode(&x));
            t.record(m.neg_elbo(&x).map(|e| e.loss));
            if let Ok(objective) = m.default_objective() {
                t.record(m.energy_loss(objective.as_ref(), &x));
            }
            if let Ok(ais) = mvl_ae::ais_for(m, 2, 3) {
                t.record(test_log_likelihood(&ais, m, &x, usize::MAX, &mut |_| {}));
            }
        }
        for m in &explicit {
            t.record(m.encode(&x));
            t.record(m.decode(&x));
            t.record(m.neg_elbo(&x).map(|e| e.loss));
        }
    });
}

/// WAEs of every method and geometry (data width 4, hidden 8, nz 2), the MMD and the Fréchet
/// distance on arbitrary tensors.
#[test]
fn waes_mmd_and_fid_take_any_tensor_or_fail_with_a_typed_error() {
    let _seed = mvl_manifold::testing::seeded(6);
    let (ae, critic) = (
        nn::VarStore::new(Device::Cpu),
        nn::VarStore::new(Device::Cpu),
    );
    let mut waes = Vec::new();
    let methods = [
        WaeMethod::Mvl {
            flow: MvlFlow::Langevin,
        },
        WaeMethod::Gan,
        WaeMethod::Mmd,
    ];
    for geometry in [Geometry::Euclidean, Geometry::Sphere] {
        for method in methods {
            let mut config = WaeConfig::paper(geometry, 2, method).expect("valid");
            (config.hidden, config.data_dim) = (8, 4);
            let name = format!("{geometry:?}-{method:?}").replace([' ', '{', '}', ':'], "");
            waes.push(
                Wae::new(&(ae.root() / &name), &(critic.root() / &name), config).expect("valid"),
            );
        }
    }
    run(
        "mvl-ae waes",
        60,
        (batch(vec![2, 3, 4]), batch(vec![2, 3, 4])),
        |(x, y), t| {
            for m in &waes {
                t.record(m.encode(&x));
                t.record(m.decode(&x));
                t.record(m.loss(&x).map(|l| l.loss));
                t.record(m.critic_loss(&x));
            }
            t.record(mmd(&x, &y));
            if let (Ok(a), Ok(b)) = (
                FeatureStats::from_features(&x),
                FeatureStats::from_features(&y),
            ) {
                t.record(frechet_distance(&a, &b));
            } else {
                t.record(FeatureStats::from_features(&x));
            }
        },
    );
}
