//! Tests of the WAE: the KL penalty's gradient against closed forms, the MMD against a
//! direct evaluation, the discriminator loss, tiny training runs of every method, errors.

use super::*;
use crate::implicit_vae::tests::toy_data;
use crate::latent::Geometry;
use mvl_manifold::testing::seeded;
use mvl_manifold::{GaussianEnergy, VonMisesFisher};
use mvl_train::{GroupsConfig, train_groups};
use tch::{Device, Kind, nn};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// Family of 6 z-tests below (dKL/dσ and the 3 components of dKL/dm of a Gaussian, dKL/dκ
/// of two vMFs) at overall level 1e-4 by Bonferroni: each rejects at |z| > 4.31 (two-sided
/// 1.67e-5).
const Z_CRIT: f64 = 4.31;

/// z-value of the mean of the per-row contributions N·gᵢ (gᵢ the gradient of the batch
/// mean with respect to row i's copy of the parameter) against `exact`.
fn z_value(grad: &Tensor, exact: f64) -> (f64, f64, f64) {
    let n = grad.size()[0] as f64;
    let per = grad * n;
    let mean = per.mean(Kind::Double).double_value(&[]);
    let se = per.std(true).double_value(&[]) / n.sqrt();
    (mean, se, (mean - exact) / se)
}

fn assert_z(what: &str, (mean, se, z): (f64, f64, f64), exact: f64) {
    eprintln!("{what}: {mean:.5} ± {se:.5} vs {exact:.5}, z = {z:.2}");
    assert!(
        z.abs() < Z_CRIT,
        "{what}: {mean} ± {se} vs exact {exact} (z = {z:.2})"
    );
}

/// The WAE penalty KL(q̃ ‖ N(0, I)) with the exact score of a Gaussian aggregate posterior
/// q̃ = N(m, σ²I) on R^4 (z = m + σε with m = (0.5, −1, 2, 0) and σ = ½ learnable, one copy
/// per row): closed form KL = ½[nσ² + |m|² − n − 2n ln σ], so dKL/dσ = n(σ − 1/σ) = −6 and
/// dKL/dm = m. N = 50 000 rows; measured standard errors 0.022 (0.36 % of dKL/dσ) and
/// 0.0067 (means), measured z-values −0.37 (σ), 2.41, −0.30, 1.11 (m₀..m₂). A 2 % error in
/// dKL/dσ (0.12) shifts z by 5.5: power 0.89 at |z| > 4.31; an error of 0.05 in a mean
/// component shifts z by 7.5: power > 0.999. The entropy gradient with the wrong sign
/// (dKL/dσ = n(σ + 1/σ) = 10) is off by 700 standard errors.
#[test]
fn wae_penalty_gradient_matches_the_gaussian_closed_form() {
    let _seed = seeded(151);
    let (rows, n, s) = (50_000, 4, 0.5);
    let means = [0.5, -1.0, 2.0, 0.0];
    let m = Tensor::from_slice(&means).to_kind(Kind::Double);
    let sigma = Tensor::full([rows, 1], s, F64).set_requires_grad(true);
    let loc = m.unsqueeze(0).repeat([rows, 1]).set_requires_grad(true);
    let z = &loc + Tensor::randn([rows, n], F64) * &sigma;
    let energy = GaussianEnergy::new(&m, s).expect("valid");
    let latent = LatentSpace::new(Geometry::Euclidean, n).expect("valid");
    crate::kl_to_prior(&latent, &energy, &z)
        .expect("valid")
        .backward();
    let exact = n as f64 * (s - 1.0 / s);
    assert_z("dKL/dσ", z_value(&sigma.grad(), exact), exact);
    for (j, &mj) in means.iter().enumerate().take(3) {
        let g = loc.grad().select(1, j as i64);
        assert_z(&format!("dKL/dm{j}"), z_value(&g, mj), mj);
    }
}

/// The WAE penalty KL(q̃ ‖ uniform) with the exact score of a vMF aggregate posterior
/// q̃ = vMF(μ, κ) on S^{m−1}, z = rsample (κ learnable): dKL/dκ = −dH/dκ = κA′(κ), A the
/// Bessel ratio I_{m/2}/I_{m/2−1}. On S² (m = 3) A(κ) = coth κ − 1/κ, so
/// dKL/dκ = κ(1/κ² − 1/sinh²κ) in closed form; on S⁸ (m = 9, the paper's latent) the exact
/// value is −dH/dκ of [`VonMisesFisher::entropy`] by autograd (κ = 2 and 5: 0.34796,
/// 0.31251). N = 40 000 rows; measured standard errors 0.36 % and 0.18 % of the target,
/// measured z-values 1.32 and −1.47; a 2 % bias shifts z by 5.5 and 11, detected with power
/// 0.89 and above 0.999; the pathwise gradient without its rejection-correction term (13 % low at m = 5,
/// κ = 2, see the entropy tests) would be far outside.
#[test]
fn wae_penalty_gradient_matches_the_vmf_closed_form() {
    let _seed = seeded(152);
    let rows = 40_000;
    for (m, k) in [(3i64, 2.0f64), (9, 5.0)] {
        let mu = Tensor::zeros([1, m], F64).index_fill(1, &Tensor::from_slice(&[m - 1]), 1.0);
        let exact = if m == 3 {
            k * (1.0 / (k * k) - 1.0 / k.sinh().powi(2))
        } else {
            let kappa = Tensor::full([1], k, F64).set_requires_grad(true);
            let h = VonMisesFisher::new(&mu, &kappa).expect("valid").entropy();
            -Tensor::run_backward(&[h.sum(Kind::Double)], &[&kappa], false, false)[0]
                .double_value(&[0])
        };
        let kappas = Tensor::full([rows], k, F64).set_requires_grad(true);
        let q = VonMisesFisher::new(&mu.expand([rows, m], false), &kappas).expect("valid");
        let z = q.rsample(1).squeeze_dim(0);
        let energy = VonMisesFisher::new(&mu, &Tensor::full([1], k, F64)).expect("valid");
        let latent = LatentSpace::new(Geometry::Sphere, m - 1).expect("valid");
        crate::kl_to_prior(&latent, &energy, &z)
            .expect("valid")
            .backward();
        assert_z(
            &format!("vMF m = {m}, κ = {k}: dKL/dκ"),
            z_value(&kappas.grad(), exact),
            exact,
        );
    }
}

/// The MMD against a direct double loop over the definition (paper-spec §5.4) on fixed
/// points, including the bandwidth's order statistics.
#[test]
fn mmd_matches_a_direct_evaluation() {
    let q = [[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0], [0.3, -1.0]];
    let p = [[0.2, 0.1], [2.0, -0.5], [-1.0, 1.0], [0.0, 0.7]];
    let d2 = |a: &[f64; 2], b: &[f64; 2]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    let n = 4usize;
    let kth = |mut v: Vec<f64>| {
        v.sort_by(|a, b| b.total_cmp(a));
        v[(n * n - n) / 2 - 1]
    };
    let all = |a: &[[f64; 2]; 4], b: &[[f64; 2]; 4]| {
        a.iter()
            .flat_map(|x| b.iter().map(move |y| d2(x, y)))
            .collect::<Vec<_>>()
    };
    let sigma2 = kth(all(&q, &p)) + kth(all(&p, &p));
    let k = |a: &[f64; 2], b: &[f64; 2]| (-d2(a, b) / (2.0 * sigma2)).exp();
    let (mut within, mut across) = (0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            if i != j {
                within += k(&q[i], &q[j]) + k(&p[i], &p[j]);
            }
            across += k(&q[i], &p[j]);
        }
    }
    let want = within / (n * n - n) as f64 - 2.0 * across / (n * n) as f64;
    let t = |a: &[[f64; 2]; 4]| Tensor::from_slice(a.as_flattened()).view([4, 2]);
    let got = mmd(&t(&q), &t(&p)).expect("valid").double_value(&[]);
    assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    assert!(matches!(
        mmd(&t(&q), &t(&p).narrow(0, 0, 3)),
        Err(AeError::ShapeMismatch { .. })
    ));
    let ints = Tensor::zeros([4, 2], (Kind::Int64, Device::Cpu));
    assert!(matches!(
        mmd(&ints, &t(&p)),
        Err(AeError::UnsupportedKind { .. })
    ));
}

fn tiny(geometry: Geometry, method: WaeMethod) -> WaeConfig {
    WaeConfig {
        hidden: 16,
        data_dim: 16,
        batch_size: 32,
        lr: 3e-3,
        ..WaeConfig::paper(geometry, 2, method).expect("valid")
    }
}

/// A tiny WAE of `geometry` and `method` with its autoencoder and critic stores.
fn tiny_model(geometry: Geometry, method: WaeMethod) -> (nn::VarStore, nn::VarStore, Wae) {
    let (ae, cr) = (
        nn::VarStore::new(Device::Cpu),
        nn::VarStore::new(Device::Cpu),
    );
    let model = Wae::new(&ae.root(), &cr.root(), tiny(geometry, method)).expect("valid");
    (ae, cr, model)
}

const METHODS: [WaeMethod; 4] = [
    WaeMethod::Mvl {
        flow: MvlFlow::Langevin,
    },
    WaeMethod::Mvl {
        flow: MvlFlow::Spos,
    },
    WaeMethod::Gan,
    WaeMethod::Mmd,
];

/// 200 iterations of every method on toy data: the reconstruction cost falls by at least
/// 3 nats (first vs last 20 iterations; it starts near 16 ln 2 ≈ 11), every loss stays
/// finite, and each phase's loss reaches only its own group.
#[test]
fn tiny_waes_of_every_method_learn() {
    let _seed = seeded(153);
    for geometry in [Geometry::Euclidean, Geometry::Sphere] {
        for method in METHODS {
            if geometry == Geometry::Sphere && method == METHODS[1] {
                continue;
            }
            let config = tiny(geometry, method);
            let (mut ae, mut cr) = (
                nn::VarStore::new(Device::Cpu),
                nn::VarStore::new(Device::Cpu),
            );
            let model = Wae::new(&ae.root(), &cr.root(), config).expect("valid");
            let data = toy_data(128, 16);
            let batches = crate::data::Batches::new(128, 32, 3).expect("valid");
            let batch = |i: usize| batches.batch(&data, i);
            let mut recon = Vec::new();
            let mut step = WaeStep::new(&model, &batch);
            let mut record = |i: usize, k: usize| {
                if k == 0 {
                    let x = binarize(&batch(i));
                    recon.push(
                        model
                            .loss(&x)
                            .expect("valid")
                            .reconstruction
                            .double_value(&[]),
                    );
                }
                step.loss(i, k)
            };
            let groups = config.groups();
            let run = GroupsConfig {
                label: format!("tiny WAE {method:?}"),
                iterations: 200,
                groups: groups.clone(),
                seed: Some(4),
                checkpoint_every: 1000,
                extra: serde_json::Value::Null,
            };
            let mut stores: Vec<&mut nn::VarStore> = vec![&mut ae, &mut cr];
            stores.truncate(groups.len());
            let log = train_groups(&run, &mut stores, &mut record, &mut [], None).expect("trains");
            let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
            let (first, last) = (mean(&recon[..20]), mean(&recon[180..]));
            assert!(
                last < first - 3.0,
                "{geometry:?} {method:?}: {first} → {last}"
            );
            assert!(log.phase_losses.iter().flatten().all(|v| v.is_finite()));
        }
    }
}

/// The autoencoder loss gives no gradient to the energy or discriminator, and their losses
/// none to the autoencoder.
#[test]
fn each_loss_reaches_only_its_own_networks() {
    let _seed = seeded(154);
    let x = binarize(&toy_data(8, 16));
    let touched = |vs: &nn::VarStore| {
        vs.trainable_variables()
            .iter()
            .any(|v| v.grad().defined() && v.grad().abs().sum(Kind::Float).double_value(&[]) > 0.0)
    };
    for method in [METHODS[0], WaeMethod::Gan] {
        let (ae, cr, model) = tiny_model(Geometry::Sphere, method);
        model.loss(&x).expect("valid").loss.backward();
        assert!(touched(&ae), "{method:?}");
        if method == WaeMethod::Gan {
            // The discriminator's parameters are on the graph of −ln σ(D(z)): they get a
            // gradient, which the autoencoder phase never applies (train_groups zeroes it).
            for v in cr.trainable_variables() {
                let _ = v.grad().zero_();
            }
        } else {
            assert!(!touched(&cr), "{method:?}");
        }
        for v in ae.trainable_variables() {
            let _ = v.grad().zero_();
        }
        model.critic_loss(&x).expect("valid").backward();
        assert!(touched(&cr) && !touched(&ae), "{method:?}");
    }
}

/// With a discriminator that outputs 0 everywhere, its loss is −2 ln(½ + 1e-7) and the
/// autoencoder's penalty ln 2 (paper-spec §5.3).
#[test]
fn gan_losses_at_a_constant_discriminator() {
    let (_ae, cr, model) = tiny_model(Geometry::Euclidean, WaeMethod::Gan);
    tch::no_grad(|| {
        for (_, mut v) in cr.variables() {
            let _ = v.zero_();
        }
    });
    let x = binarize(&toy_data(8, 16));
    let d = model.critic_loss(&x).expect("valid").double_value(&[]);
    assert!((d + 2.0 * (0.5f64 + 1e-7).ln()).abs() < 1e-6, "{d}");
    let penalty = model.loss(&x).expect("valid").penalty.double_value(&[]);
    assert!((penalty - 2f64.ln()).abs() < 1e-6, "{penalty}");
}

#[test]
fn paper_settings_and_typed_errors() {
    let mvl = WaeMethod::Mvl {
        flow: MvlFlow::Langevin,
    };
    let c = WaeConfig::paper(Geometry::Sphere, 8, mvl).expect("valid");
    assert_eq!(
        (c.latent.ambient_dim(), c.hidden, c.data_dim, c.batch_size),
        (9, 256, 784, 128)
    );
    assert_eq!(
        (c.lambda, c.lr, c.step_size, c.regularizer),
        (10.0, 1e-3, 1e-3, 1e-5)
    );
    assert!((c.loss_scale * c.step_size - 1e-3).abs() < 1e-18);
    assert_eq!(c.observation, Observation::Bernoulli);
    let names = |c: &WaeConfig| c.groups().into_iter().map(|g| g.name).collect::<Vec<_>>();
    assert_eq!(names(&c), ["autoencoder", "energy"]);
    let mmd_config = WaeConfig::paper(Geometry::Euclidean, 8, WaeMethod::Mmd).expect("valid");
    assert_eq!((mmd_config.lambda, names(&mmd_config).len()), (1000.0, 1));
    let spos = WaeMethod::Mvl {
        flow: MvlFlow::Spos,
    };
    assert!(matches!(
        WaeConfig::paper(Geometry::Sphere, 8, spos),
        Err(AeError::InvalidConfig {
            name: "MVL flow (SPOS)",
            ..
        })
    ));
    let (ae, cr, model) = tiny_model(Geometry::Sphere, WaeMethod::Mmd);
    let x = toy_data(4, 16);
    assert!(matches!(
        model.critic_loss(&x),
        Err(AeError::InvalidConfig { name: "phase", .. })
    ));
    match model.loss(&Tensor::zeros([4, 15], F64)) {
        Err(AeError::ShapeMismatch { got, .. }) => assert_eq!(got, vec![4, 15]),
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    let ints = Tensor::zeros([4, 16], (Kind::Int64, Device::Cpu));
    assert!(matches!(
        model.encode(&ints),
        Err(AeError::UnsupportedKind { .. })
    ));
    assert!(matches!(
        model.decode(&Tensor::zeros([4, 2], F64)),
        Err(AeError::ShapeMismatch { .. })
    ));
    let objective = crate::mvl_objective(c.latent, 1e-3, MvlFlow::Langevin).expect("valid");
    assert!(matches!(
        model.with_objective(objective),
        Err(AeError::InvalidConfig { .. })
    ));
    let generated = Wae::new(
        &ae.root(),
        &cr.root(),
        tiny(Geometry::Sphere, WaeMethod::Gan),
    )
    .expect("valid")
    .generate(5, F64)
    .expect("valid");
    assert_eq!(generated.size(), vec![5, 16]);
    let (lo, hi) = (
        generated.min().double_value(&[]),
        generated.max().double_value(&[]),
    );
    assert!(lo > 0.0 && hi < 1.0);
}
