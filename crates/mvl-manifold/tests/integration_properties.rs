//! Property tests of `mvl_manifold::integration` and `VonMisesFisherRng` with bad values
//! (issue 14): node counts from 0 to `usize::MAX`, tensors of any shape, kind and values
//! (NaN, ±∞, 0, huge, tiny), energies of the wrong width or with non-finite values. Every
//! fallible call returns `Ok` exactly when its documented conditions hold, and a typed error
//! otherwise; no call panics, aborts or allocates without bound; non-finite results appear
//! only where the docs say. Each property prints its calls and typed errors (`cargo test
//! --release -p mvl-manifold --test integration_properties -- --nocapture`).

use mvl_manifold::integration::{
    GeodesicDisk, Grid, MAX_GAUSS_LEGENDRE_NODES, Normaliser, Quadrature, compare, converged_log_z,
    gauss_legendre, nll,
};
use mvl_manifold::testing::props::{Tally, any_tensor, batch, kind, run, value};
use mvl_manifold::{
    Energy, FnEnergy, GaussianEnergy, ManifoldError, PoincareBall, Sphere, VonMisesFisherRng,
};
use nalgebra::DVector;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_distr::Distribution;
use std::f64::consts::PI;
use tch::{Device, Kind, Tensor};

/// Mostly small node counts, sometimes ones whose grid would not fit in memory.
fn count() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0..=6usize,
        1 => prop::sample::select(vec![1 << 20, Grid::MAX_POINTS + 1, 1 << 40, usize::MAX]),
    ]
}

fn too_large(counts: &[usize]) -> bool {
    counts.iter().map(|&c| c as f64).product::<f64>() > Grid::MAX_POINTS as f64
        || counts.iter().any(|&c| c > Grid::MAX_POINTS)
}

fn finite(t: &Tensor) -> bool {
    t.isfinite().all().int64_value(&[]) == 1
}

fn has(t: &Tensor, f: fn(&Tensor) -> Tensor) -> bool {
    f(t).any().int64_value(&[]) == 1
}

/// `[n]` values cycled from `values` (or all −3 when there are none), in `kind`.
fn cycled(values: &[f64], n: i64, kind: Kind) -> Tensor {
    let v: Vec<f64> = (0..n as usize)
        .map(|i| values.get(i % values.len().max(1)).copied().unwrap_or(-3.0))
        .collect();
    Tensor::from_slice(&v).to_kind(kind)
}

/// `log_integral` is a shape error or follows its documented non-finite rules.
fn integrate(tally: &Tally, grid: &Grid, log_q: &Tensor) {
    let n = grid.weights.size()[0];
    let Some(got) = tally.record(grid.log_integral(log_q)) else {
        assert_ne!(log_q.size(), vec![n], "a [N] tensor was refused");
        return;
    };
    let q = log_q.to_kind(Kind::Double);
    if has(&q, Tensor::isnan) {
        assert!(got.is_nan());
    } else if has(&q, Tensor::isposinf) {
        assert_eq!(got, f64::INFINITY);
    } else if n == 0 || has(&q, Tensor::isneginf) && !has(&q, Tensor::isfinite) {
        assert_eq!(got, f64::NEG_INFINITY);
    } else {
        assert!(got.is_finite(), "{q:?}: {got}");
    }
}

/// Grids of any counts are typed errors beyond `Grid::MAX_POINTS` and finite, with their
/// exact areas on S¹ and S², below; `log_integral` takes any tensor (48 cases).
#[test]
fn grids_bound_their_size_and_integrate_any_values() {
    let values = prop::collection::vec(value(), 0..=8);
    let strategy = (count(), count(), value(), values, kind(), any_tensor());
    run(
        "mvl-manifold grids",
        48,
        strategy,
        |(a, b, rho, v, k, t), tally| {
            let grids = [
                (
                    tally.record(Grid::circle(a)),
                    too_large(&[a]),
                    (a > 0).then_some(2.0 * PI),
                ),
                (
                    tally.record(Grid::sphere2(a, b)),
                    too_large(&[a, b]) || a > MAX_GAUSS_LEGENDRE_NODES,
                    (a > 0 && b > 0).then_some(4.0 * PI),
                ),
                (tally.record(Grid::lon_lat(a, b)), too_large(&[a, b]), None),
                (
                    tally.record(Grid::poincare_disk(a, b, rho)),
                    too_large(&[a, b])
                        || a > MAX_GAUSS_LEGENDRE_NODES
                        || !(1e-100..=36.0).contains(&rho),
                    None,
                ),
            ];
            for (grid, refused, area) in grids {
                assert_eq!(grid.is_none(), refused, "({a}, {b}, {rho})");
                let Some(grid) = grid else { continue };
                let n = grid.weights.size()[0];
                assert_eq!(grid.points.size()[0], n);
                assert!(finite(&grid.points) && finite(&grid.weights));
                let total = grid.weights.sum(Kind::Double).double_value(&[]);
                if let Some(area) = area {
                    assert!((total - area).abs() < 1e-9 * area, "{total} vs {area}");
                }
                integrate(tally, &grid, &cycled(&v, n, k));
                integrate(tally, &grid, &t);
            }
        },
    );
}

/// Gauss-Legendre rules of every order up to the bound are symmetric rules on (−1, 1) with
/// weights summing to 2; larger orders are typed errors (48 cases).
#[test]
fn gauss_legendre_is_bounded() {
    let n = prop_oneof![4 => 0..=200usize, 1 => count()];
    run("mvl-manifold gauss_legendre", 48, n, |n, tally| {
        let Some((x, w)) = tally.record(gauss_legendre(n)) else {
            assert!(n > MAX_GAUSS_LEGENDRE_NODES);
            return;
        };
        assert_eq!((x.len(), w.len()), (n, n));
        assert!(x.iter().all(|x| x.abs() < 1.0) && w.iter().all(|&w| w > 0.0));
        assert!(x.windows(2).all(|p| p[0] > p[1]));
        if n > 0 {
            assert!((w.iter().sum::<f64>() - 2.0).abs() < 1e-12, "n = {n}");
        }
    });
}

/// E = s|y|²/2: constant on spheres, finite on the disk for finite s.
fn scaled_quadratic(s: f64) -> FnEnergy<impl Fn(&Tensor) -> Tensor> {
    FnEnergy::new(move |y: &Tensor| y.square().sum_dim_intlist(-1, false, y.kind()) * s / 2.0)
}

/// Domains with the width of their points: S¹, S², S³ (no grid) and disks of any radius.
fn domains(ball_dim: i64, radius: f64, tally: &Tally) -> Vec<(Box<dyn Quadrature>, i64)> {
    let mut all: Vec<(Box<dyn Quadrature>, i64)> = vec![];
    for n in 1..=3 {
        all.push((Box::new(Sphere::new(n).expect("valid")), n + 1));
    }
    let ball = PoincareBall::new(ball_dim).expect("valid");
    let disk = tally.record(GeodesicDisk::new(&ball, radius));
    assert_eq!(
        disk.is_some(),
        ball_dim == 2 && (1e-100..=36.0).contains(&radius)
    );
    all.extend(disk.map(|d| (Box::new(d) as Box<dyn Quadrature>, 2)));
    all
}

/// Normalisers, converged log Z and NLLs: typed errors for a bad kind, resolution, tolerance,
/// width or batch; otherwise log Z is finite exactly when the energy is finite at every grid
/// point, in the normaliser's kind (32 cases).
#[test]
fn normalisers_and_nll_take_any_settings() {
    let kinds = prop::sample::select(vec![Kind::Float, Kind::Double, Kind::Int64, Kind::Bool]);
    let settings = (1..=3i64, value(), value(), count(), kinds);
    let convergence = (
        count(),
        value(),
        prop::sample::select(vec![0usize, 8, 20, 40]),
    );
    let strategy = (settings, convergence, batch(vec![2, 3]), value());
    run(
        "mvl-manifold normalisers",
        32,
        strategy,
        |((dim, radius, s, res, k), (start, tol, max_res), points, log_z), tally| {
            let mean = Tensor::zeros([3], (Kind::Double, Device::Cpu));
            let gaussian = GaussianEnergy::new(&mean, 1.0).expect("valid");
            let quadratic = scaled_quadratic(s);
            let energies: [(&dyn Energy, Option<i64>); 2] =
                [(&quadratic, None), (&gaussian, Some(3))];
            let float = matches!(k, Kind::Float | Kind::Double);
            let options = (k, Device::Cpu);
            for (domain, width) in domains(dim, radius, tally) {
                let domain = domain.as_ref();
                let has_grid = tally.record(domain.grid(res)).is_some();
                let normaliser = tally.record(Normaliser::new(domain, res, options));
                assert_eq!(normaliser.is_some(), float && has_grid, "{domain:?} {res}");
                let finite_on = |e: &dyn Energy, n: usize| {
                    let points = domain.grid(n).expect("valid").points.to_kind(k);
                    finite(&e.energy(&points))
                };
                for (e, declared) in energies {
                    let fits = declared.is_none_or(|w| w == width);
                    if let Some(n) = &normaliser {
                        let z = tally.record(n.log_z(e));
                        assert_eq!(z.is_some(), fits);
                        z.inspect(|z| assert_eq!(z.is_finite(), finite_on(e, res), "s = {s}"));
                    }
                    let c = tally.record(converged_log_z(e, domain, options, start, tol, max_res));
                    let valid = tol >= 0.0 && fits && float && width < 4;
                    assert!(c.is_none() || valid, "{c:?}");
                    if valid && start <= 6 {
                        let c = c.expect("valid settings");
                        assert_eq!(c.value.is_finite(), finite_on(e, 8), "{c:?}");
                    }
                    let shape = points.size();
                    let ok = points.is_floating_point()
                        && shape.len() == 2
                        && shape[0] > 0
                        && declared.is_none_or(|w| w == shape[1]);
                    assert_eq!(tally.record(nll(e, &points, log_z)).is_some(), ok);
                }
            }
        },
    );
}

/// `compare` refuses wrong shapes, non-finite values and empty grids; with a normalised
/// `log_p` of moderate values its fields are finite, the correlation NaN only for a constant
/// log-density (40 cases).
#[test]
fn compare_checks_its_inputs() {
    let values = || prop::collection::vec(value(), 1..=6);
    let strategy = (0..=4usize, values(), values(), any_tensor());
    run(
        "mvl-manifold compare",
        40,
        strategy,
        |(n, p, q, t), tally| {
            for grid in [Grid::circle(n), Grid::sphere2(n, 2 * n)] {
                let grid = tally.record(grid).expect("small grid");
                let len = grid.weights.size()[0];
                let (p, q) = (cycled(&p, len, Kind::Double), cycled(&q, len, Kind::Double));
                let finite_in = finite(&p) && finite(&q);
                let got = tally.record(compare(&p, &q, &grid));
                assert_eq!(got.is_some(), finite_in && len > 0, "{p:?} {q:?}");
                if t.size() != [len] {
                    assert!(matches!(
                        compare(&t, &q, &grid),
                        Err(ManifoldError::ShapeMismatch { what: "log_p", .. })
                    ));
                }
                let moderate = |t: &Tensor| t.abs().max().double_value(&[]) <= 1e38;
                if !(finite_in && len > 0 && moderate(&p) && moderate(&q)) {
                    continue;
                }
                let shifted = &p - p.max();
                let log_p = &shifted - grid.log_integral(&shifted).expect("[N]");
                let c = tally.record(compare(&log_p, &q, &grid)).expect("valid");
                assert!(c.tv.is_finite() && c.kl.is_finite(), "{c:?}");
                assert!(c.max_abs_logdensity_err.is_finite(), "{c:?}");
                assert!((-1e-9..=1.0 + 1e-9).contains(&c.tv), "{c:?}");
                // Variations below ~1e-150 underflow when squared (documented).
                let spread = |t: &Tensor| (t - t.get(0)).abs().max().double_value(&[]);
                let least = spread(&log_p).min(spread(&q));
                if least == 0.0 || least > 1e-100 {
                    assert_eq!(c.corr_logdensity.is_nan(), least == 0.0, "{c:?}");
                }
            }
        },
    );
}

/// `VonMisesFisherRng::new` with any mean direction and concentration: `Ok` exactly for m ≥ 2
/// finite entries not all 0 and a finite κ ≥ 0; its samples are then unit vectors (40 cases).
#[test]
fn vmf_rng_validates_and_samples_unit_vectors() {
    // One entry in four NaN, ±∞ or 0 besides `value`'s own.
    let entry = prop_oneof![
        3 => value(),
        1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0]),
    ];
    let mu = prop_oneof![
        4 => prop::collection::vec(entry, 0..=5),
        1 => prop::collection::vec(prop_oneof![Just(0.0), Just(1e-300), Just(1e300)], 50),
    ];
    let kappa = prop_oneof![
        3 => value(),
        1 => prop::sample::select(vec![1e308, -1.0, 0.0, f64::MIN_POSITIVE]),
    ];
    run(
        "mvl-manifold VonMisesFisherRng",
        40,
        (mu, kappa, any::<u64>()),
        |(mu, kappa, seed), tally| {
            let valid = mu.len() >= 2
                && mu.iter().all(|v| v.is_finite())
                && mu.iter().any(|&v| v != 0.0)
                && kappa.is_finite()
                && kappa >= 0.0;
            let vmf = tally.record(VonMisesFisherRng::new(DVector::from_vec(mu.clone()), kappa));
            assert_eq!(vmf.is_some(), valid, "{mu:?}, κ = {kappa}");
            let Some(vmf) = vmf else { return };
            assert!((vmf.mu().norm() - 1.0).abs() < 1e-14 && vmf.kappa() == kappa);
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            for _ in 0..4 {
                let x: DVector<f64> = vmf.sample(&mut rng);
                assert!((x.norm() - 1.0).abs() < 1e-12, "{mu:?}, κ = {kappa}: {x:?}");
            }
        },
    );
}
