//! The Fréchet distance against closed forms, SciPy and mpmath (scripts/fid_reference.py).

use super::*;
use tch::Device;

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

// Printed by scripts/fid_reference.py (tr((S1 S2)^{1/2}) by SciPy sqrtm and by mpmath at 50
// digits, and the Fréchet distance with the mpmath trace):
// scipy 1.17.1, mpmath 1.3.0, numpy 2.4.6
// FULL_RANK: d = 6, ranks 6 and 6, tilt None
const FULL_RANK_SCIPY: f64 = 3.123231863046146;
const FULL_RANK_MPMATH: f64 = 3.1232318630461484;
const FULL_RANK_FID: f64 = 5.683206785544279;
// RANK_DEFICIENT: d = 8, ranks 3 and 5, tilt None
const RANK_DEFICIENT_SCIPY: f64 = 3.911470517872025;
const RANK_DEFICIENT_MPMATH: f64 = 3.911470460189476;
const RANK_DEFICIENT_FID: f64 = 7.696010151404653;
// NEAR_SINGULAR: d = 6, ranks 6 and 6, tilt 1e-06
const NEAR_SINGULAR_SCIPY: f64 = 3.032939111124719;
const NEAR_SINGULAR_MPMATH: f64 = 3.0329390785676473;
const NEAR_SINGULAR_FID: f64 = 5.745357813702309;

/// The script's matrix A[i][j] = sin(1.3 (i+1) + 0.7 (j+1)² + 0.1 s), `[d, k]`.
fn factor(d: i64, k: i64, s: f64) -> Tensor {
    let v: Vec<f64> = (0..d)
        .flat_map(|i| {
            (0..k).map(move |j| {
                (1.3 * (i + 1) as f64 + 0.7 * ((j + 1) * (j + 1)) as f64 + 0.1 * s).sin()
            })
        })
        .collect();
    Tensor::from_slice(&v).view([d, k])
}

/// The script's factor A/√k (with its last column tilted towards column 0 when asked), so
/// that AAᵀ is the script's covariance.
fn scaled_factor(d: i64, k: i64, s: f64, tilt: Option<f64>) -> Tensor {
    let a = factor(d, k, s);
    if let Some(t) = tilt {
        let last = a.select(1, k - 1) * t + a.select(1, 0);
        a.select(1, k - 1).copy_(&last);
    }
    a / (k as f64).sqrt()
}

/// The accuracy of tr((Σ₁Σ₂)^{1/2}) from rounded covariances: a perturbation of Σ of size
/// ε‖Σ‖ moves each of d square roots of eigenvalues of Σ₁^{1/2}Σ₂Σ₁^{1/2} near 0 by up to
/// √(ε‖Σ₁‖‖Σ₂‖), so √(d·ε·‖Σ₁‖‖Σ₂‖) bounds the sum (spectral norms, ε = 2.2e-16).
fn rounding_bound(s1: &Tensor, s2: &Tensor) -> f64 {
    let norm = |s: &Tensor| s.linalg_eigvalsh("L").max().double_value(&[]);
    (s1.size()[0] as f64 * f64::EPSILON * norm(s1) * norm(s2)).sqrt()
}

/// The distance from factors (as [`FeatureStats::from_features`] computes it) on the
/// script's three cases is within 1e-12 (relative) of mpmath's 50-digit values, and so is
/// tr((Σ₁Σ₂)^{1/2}); SciPy's sqrtm of the product agrees with mpmath to 2e-15 on the
/// full-rank case but is 5.8e-8 and 3.3e-8 off on the rank-deficient and near-singular ones.
/// From the covariances alone ([`trace_sqrt_product`]) the error is within the rounding
/// bound of [`rounding_bound`] (module docs); measured values are printed.
#[test]
fn matches_scipy_and_mpmath_on_fixed_matrices() {
    type Case = (
        &'static str,
        i64,
        (i64, f64, Option<f64>),
        (i64, f64, Option<f64>),
        [f64; 3],
    );
    let cases: [Case; 3] = [
        (
            "full rank",
            6,
            (8, 1.0, None),
            (8, 2.0, None),
            [FULL_RANK_SCIPY, FULL_RANK_MPMATH, FULL_RANK_FID],
        ),
        (
            "rank deficient",
            8,
            (3, 3.0, None),
            (5, 4.0, None),
            [
                RANK_DEFICIENT_SCIPY,
                RANK_DEFICIENT_MPMATH,
                RANK_DEFICIENT_FID,
            ],
        ),
        (
            "near singular",
            6,
            (6, 5.0, Some(1e-6)),
            (7, 6.0, None),
            [NEAR_SINGULAR_SCIPY, NEAR_SINGULAR_MPMATH, NEAR_SINGULAR_FID],
        ),
    ];
    for (name, d, (k1, s1, t1), (k2, s2, t2), [scipy, exact, fid]) in cases {
        let (a1, a2) = (scaled_factor(d, k1, s1, t1), scaled_factor(d, k2, s2, t2));
        let m1 = Tensor::from_slice(&(0..d).map(|i| (i as f64).sin()).collect::<Vec<_>>());
        let m2 = Tensor::from_slice(&(0..d).map(|i| (i as f64).cos()).collect::<Vec<_>>());
        let st1 = FeatureStats::from_factor(m1, a1, k1);
        let st2 = FeatureStats::from_factor(m2, a2, k2);
        let distance = frechet_distance(&st1, &st2).expect("valid");
        let mean_term = (st1.mean() - st2.mean())
            .square()
            .sum(Kind::Double)
            .double_value(&[]);
        let traces = (st1.cov().trace() + st2.cov().trace()).double_value(&[]);
        let trace = (mean_term + traces - distance) / 2.0;
        let from_cov = trace_sqrt_product(st1.cov(), st2.cov()).expect("valid");
        eprintln!(
            "{name}: FID − mpmath {:.1e}; trace: factors − mpmath {:.1e}, covariances − mpmath \
             {:.1e}, scipy − mpmath {:.1e}",
            distance - fid,
            trace - exact,
            from_cov - exact,
            scipy - exact
        );
        assert!(
            (distance - fid).abs() < 1e-12 * fid,
            "{name}: {distance} vs {fid}"
        );
        assert!(
            (trace - exact).abs() < 1e-12 * exact,
            "{name}: {trace} vs {exact}"
        );
        assert!(
            (from_cov - exact).abs() < 3e-8 * exact,
            "{name}: {from_cov} vs {exact}"
        );
    }
}

/// Commuting singular covariances Σ₁ = Q diag(a) Qᵀ, Σ₂ = Q diag(b) Qᵀ (Q orthogonal, each
/// with a zero eigenvalue): tr((Σ₁Σ₂)^{1/2}) = Σ √(aᵢbᵢ) = 3.75 and the distance
/// |μ₁ − μ₂|² + Σ (√aᵢ − √bᵢ)² = 1 + 4 + 4 + 1 + 1 = 11 exactly from the factors
/// Q diag(√a); from the covariances alone within √ε (module docs); sqrtm_psd(Σ₁)² = Σ₁.
#[test]
fn commuting_singular_covariances_match_the_closed_form() {
    let (q, _) = Tensor::linalg_qr(&factor(4, 4, 7.0), "reduced");
    let root_of = |d: [f64; 4]| &q * Tensor::from_slice(&d).sqrt().unsqueeze(0);
    let (a, b) = ([1.0, 4.0, 0.0, 2.25], [9.0, 0.0, 1.0, 0.25]);
    let m1 = Tensor::from_slice(&[1.0f64, 0.0, 0.0, 0.0]);
    let st1 = FeatureStats::from_factor(m1, root_of(a), 4);
    let st2 = FeatureStats::from_factor(Tensor::zeros([4], F64), root_of(b), 4);
    let distance = frechet_distance(&st1, &st2).expect("valid");
    assert!((distance - 11.0).abs() < 1e-13, "{distance}");
    let got = trace_sqrt_product(st1.cov(), st2.cov()).expect("valid");
    eprintln!("commuting: from covariances − 3.75 = {:.1e}", got - 3.75);
    let bound = rounding_bound(st1.cov(), st2.cov());
    assert!((got - 3.75).abs() < bound, "{got} (bound {bound:.1e})");
    let root = sqrtm_psd(st1.cov()).expect("valid");
    assert!(
        (root.matmul(&root) - st1.cov())
            .abs()
            .max()
            .double_value(&[])
            < 1e-14
    );
    assert!((&root - root.transpose(0, 1)).abs().max().double_value(&[]) < 1e-15);
}

/// Feature statistics use the (n − 1) covariance; bad inputs are typed errors.
#[test]
fn statistics_and_typed_errors() {
    let f = Tensor::from_slice(&[0.0f64, 1.0, 2.0, 3.0, 4.0, 8.0]).view([3, 2]);
    let s = FeatureStats::from_features(&f).expect("valid");
    assert_eq!(Vec::<f64>::try_from(s.mean()).expect("f64"), [2.0, 4.0]);
    // Columns (0, 2, 4) and (1, 3, 8): variances 4 and 13, covariance 7.
    let want = Tensor::from_slice(&[4.0f64, 7.0, 7.0, 13.0]).view([2, 2]);
    assert!((s.cov() - want).abs().max().double_value(&[]) < 1e-13);
    assert_eq!(s.count(), 3);
    assert!(matches!(
        FeatureStats::from_features(&f.narrow(0, 0, 1)),
        Err(AeError::ShapeMismatch { .. })
    ));
    let nan = Tensor::from_slice(&[0.0f64, f64::NAN, 1.0, 2.0]).view([2, 2]);
    assert!(matches!(
        FeatureStats::from_features(&nan),
        Err(AeError::NonFinite { .. })
    ));
    assert!(matches!(sqrtm_psd(&nan), Err(AeError::NonFinite { .. })));
    assert!(matches!(
        sqrtm_psd(&Tensor::zeros([2, 3], F64)),
        Err(AeError::ShapeMismatch { .. })
    ));
    let ints = Tensor::zeros([2, 2], (Kind::Int64, Device::Cpu));
    assert!(matches!(
        sqrtm_psd(&ints),
        Err(AeError::UnsupportedKind { .. })
    ));
    assert!(matches!(
        trace_sqrt_product(&Tensor::eye(2, F64), &Tensor::eye(3, F64)),
        Err(AeError::ShapeMismatch { .. })
    ));
    let other = FeatureStats::from_features(&Tensor::zeros([3, 3], F64)).expect("valid");
    assert!(matches!(
        frechet_distance(&s, &other),
        Err(AeError::ShapeMismatch { .. })
    ));
}
