use super::*;
use crate::metric::max_abs;
use crate::testing::check_energy;
use tch::Device;

const CPU64: (Kind, Device) = (Kind::Double, Device::Cpu);

fn three_components() -> VmfMixture {
    let locs = Tensor::from_slice(&[1.0f64, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0]).view([3, 3]);
    let kappas = Tensor::from_slice(&[20.0f64, 50.0, 10.0]);
    let weights = Tensor::from_slice(&[0.5f64, 0.3, 0.2]);
    VmfMixture::new(&locs, &kappas, &weights).expect("valid mixture")
}

fn unit_rows(n: i64, m: i64) -> Tensor {
    let x = Tensor::randn([n, m], CPU64);
    &x / x.square().sum_dim_intlist(1, true, Kind::Double).sqrt()
}

#[test]
fn new_reports_invalid_weights_and_shapes() {
    let locs = Tensor::from_slice(&[1.0f64, 0.0, 0.0, 1.0]).view([2, 2]);
    let kappas = Tensor::from_slice(&[1.0f64, 2.0]);
    let bad =
        |w: &[f64]| VmfMixture::new(&locs, &kappas, &Tensor::from_slice(w)).expect_err("invalid");
    assert_eq!(
        bad(&[0.5, -0.1]),
        ManifoldError::InvalidWeights(vec![0.5, -0.1])
    );
    assert_eq!(
        bad(&[0.0, 0.0]),
        ManifoldError::InvalidWeights(vec![0.0, 0.0])
    );
    assert!(matches!(bad(&[f64::NAN, 1.0]), ManifoldError::InvalidWeights(w) if w[0].is_nan()));
    assert_eq!(
        bad(&[1.0, 1.0, 1.0]),
        ManifoldError::ShapeMismatch {
            what: "VmfMixture weights",
            expected: "[2]".into(),
            got: vec![3]
        }
    );
    let neg = Tensor::from_slice(&[1.0f64, -3.0]);
    assert_eq!(
        VmfMixture::new(&locs, &neg, &Tensor::from_slice(&[1.0f64, 1.0])).expect_err("κ < 0"),
        ManifoldError::InvalidConcentration(-3.0)
    );
}

#[test]
fn log_prob_is_the_log_of_the_weighted_sum() {
    let _seed = crate::testing::seeded(8);
    let mix = three_components();
    let x = unit_rows(50, 3);
    let c = mix.components();
    let mut total = Tensor::zeros([50], CPU64);
    for (k, w) in [0.5, 0.3, 0.2].iter().enumerate() {
        let single = VonMisesFisher::new(
            &c.loc().narrow(0, k as i64, 1),
            &c.concentration().narrow(0, k as i64, 1),
        )
        .expect("valid");
        total += single.log_prob(&x).exp() * *w;
    }
    assert!(max_abs(&(mix.log_prob(&x) - total.log())) < 1e-12);
    let r = mix.responsibilities(&x);
    assert!(max_abs(&(r.sum_dim_intlist(1, false, Kind::Double) - 1.0)) < 1e-14);
    check_energy(&mix, &x);
}

#[test]
fn sample_follows_the_weights() {
    // n = 20 000: each component's share has sd √(w(1−w)/n) ≤ 0.0036; 5 sd = 0.018 (false
    // alarm < 1e-6 per component). Draws from component k lie near μ_k (κ ≥ 10), so the nearest
    // mean identifies it except for ~1e-8 of the draws.
    let _seed = crate::testing::seeded(9);
    let mix = three_components();
    let x = mix.sample(20_000);
    assert_eq!(x.size(), vec![20_000, 3]);
    let nearest = x
        .matmul(&mix.components().loc().transpose(0, 1))
        .argmax(1, false);
    for (k, w) in [0.5, 0.3, 0.2].iter().enumerate() {
        let share = nearest
            .eq(k as i64)
            .to_kind(Kind::Double)
            .mean(Kind::Double)
            .double_value(&[]);
        assert!((share - w).abs() < 0.018, "component {k}: {share}");
    }
}

#[test]
fn fit_em_recovers_a_three_component_mixture() {
    // 9 000 draws; the components are 90° apart with κ ≥ 10, so the fit is near-deterministic:
    // weights within 0.03 (sd ≤ 0.0053), directions within 0.05 rad, κ within 15 % (the sd of
    // κ̂ for n ≈ 1800 at κ = 10 is ~3.5 %).
    let _seed = crate::testing::seeded(10);
    let truth = three_components();
    let x = truth.sample(9_000);
    let fit = VmfMixture::fit_em(&x, 3, 200, 42).expect("fit");
    let true_locs = truth.components().loc();
    let fitted = fit.components();
    for k in 0..3 {
        let cos = fitted.loc().matmul(&true_locs.get(k));
        let j = cos.argmax(0, false).int64_value(&[]);
        assert!(
            cos.double_value(&[j]).min(1.0).acos() < 0.05,
            "direction {k}"
        );
        let (w_true, w_fit) = (
            truth.weights().double_value(&[k]),
            fit.weights().double_value(&[j]),
        );
        assert!((w_true - w_fit).abs() < 0.03, "weight {k}: {w_fit}");
        let (k_true, k_fit) = (
            truth.components().concentration().double_value(&[k]),
            fitted.concentration().double_value(&[j]),
        );
        assert!((k_fit / k_true - 1.0).abs() < 0.15, "κ {k}: {k_fit}");
    }
    // Deterministic for a seed (compared after a few iterations, to keep the test short).
    let short = |seed| VmfMixture::fit_em(&x, 3, 5, seed).expect("fit");
    let (a, b) = (short(42), short(42));
    assert_eq!(max_abs(&(a.components().loc() - b.components().loc())), 0.0);
    assert_eq!(max_abs(&(a.weights() - b.weights())), 0.0);
}

#[test]
fn fit_em_survives_tiny_and_empty_clusters() {
    // Two tight clusters and K = 12 components, plus exact duplicates: some components end up
    // with one point or none. Every parameter stays finite, κ ≤ the cap, weights sum to 1.
    let _seed = crate::testing::seeded(11);
    let two = VmfMixture::new(
        &Tensor::from_slice(&[1.0f64, 0.0, 0.0, 0.0, 0.0, 1.0]).view([2, 3]),
        &Tensor::from_slice(&[1e4f64, 1e4]),
        &Tensor::from_slice(&[1.0f64, 1.0]),
    )
    .expect("valid");
    let x = Tensor::cat(
        &[
            two.sample(200),
            Tensor::from_slice(&[0.0f64, 1.0, 0.0])
                .view([1, 3])
                .repeat([5, 1]),
        ],
        0,
    );
    let fit = VmfMixture::fit_em(&x, 12, 50, 3).expect("fit");
    let c = fit.components();
    assert!(c.loc().isfinite().all().int64_value(&[]) == 1);
    let kappa_max = c.concentration().max().double_value(&[]);
    assert!(kappa_max.is_finite() && kappa_max <= EM_KAPPA_MAX);
    assert!((fit.weights().sum(Kind::Double).double_value(&[]) - 1.0).abs() < 1e-12);
    assert!(fit.log_prob(&x).isfinite().all().int64_value(&[]) == 1);
}

#[test]
fn fit_em_reports_invalid_arguments() {
    let x = unit_rows(4, 3);
    assert_eq!(
        VmfMixture::fit_em(&x, 0, 10, 1).expect_err("k = 0"),
        ManifoldError::InvalidArgument {
            name: "k",
            value: 0.0,
            reason: "need at least one component"
        }
    );
    assert_eq!(
        VmfMixture::fit_em(&x, 5, 10, 1).expect_err("N < k"),
        ManifoldError::NotEnoughData {
            what: "VmfMixture::fit_em",
            min: 5,
            got: 4
        }
    );
    assert_eq!(
        VmfMixture::fit_em(&x, 2, -1, 1).expect_err("iters < 0"),
        ManifoldError::InvalidArgument {
            name: "iters",
            value: -1.0,
            reason: "must be >= 0"
        }
    );
    assert!(matches!(
        VmfMixture::fit_em(&(x * 2.0), 2, 10, 1),
        Err(ManifoldError::OffManifold { .. })
    ));
}
