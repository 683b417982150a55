use super::*;
use crate::integration::Grid;
use crate::testing::seeded;

/// Three components at Euclidean radius ≤ 0.6 (the experiments' H² target).
fn three() -> WrappedNormalMixture {
    WrappedNormalMixture::new(
        &Tensor::from_slice(&[0.5f64, 0.1, -0.35, 0.45, -0.2, -0.55]).view([3, 2]),
        &Tensor::from_slice(&[0.45f64, 0.35, 0.6]),
        &Tensor::from_slice(&[0.5f64, 0.3, 0.2]),
    )
    .expect("valid mixture")
}

/// The density integrates to one over H² (the geodesic disk of radius 9 holds all but
/// ~e^{−9²/(2·0.6²)} of each component's mass).
#[test]
fn density_is_normalised() {
    let g = Grid::poincare_disk(300, 256, 9.0).expect("valid radius");
    let log_total = g.log_integral(&three().log_prob(&g.points)).expect("[N]");
    assert!(log_total.abs() < 1e-6, "{log_total}");
}

/// Samples against the density: the mean of f(y) = y₁ + y₂² under n = 2·10⁵ samples equals
/// its quadrature integral within 4 standard errors (false alarm 6e-5).
#[test]
fn samples_follow_the_density() {
    let _seed = seeded(3);
    let h2 = three();
    let n = 200_000;
    let y = h2.sample(n);
    assert!(row_norm_sq(&y).max().double_value(&[]) < 1.0);
    let f = |y: &Tensor| y.select(1, 0) + y.select(1, 1).square();
    let v = f(&y);
    let (mean, se) = (
        v.mean(Kind::Double).double_value(&[]),
        v.std(true).double_value(&[]) / (n as f64).sqrt(),
    );
    let g = Grid::poincare_disk(300, 256, 9.0).expect("valid radius");
    let want = (f(&g.points) * h2.log_prob(&g.points).exp() * &g.weights)
        .sum(Kind::Double)
        .double_value(&[]);
    assert!((mean - want).abs() < 4.0 * se, "{mean} vs {want} (SE {se})");
}

#[test]
fn new_reports_each_invalid_argument() {
    let centres = Tensor::from_slice(&[0.1f64, 0.2, 0.8, 0.7]).view([2, 2]);
    let ones = Tensor::from_slice(&[1.0f64, 1.0]);
    assert!(matches!(
        WrappedNormalMixture::new(&centres, &ones, &ones),
        Err(ManifoldError::OffManifold { row: 1, .. })
    ));
    let inside = &centres * 0.5;
    let bad_sigma = Tensor::from_slice(&[1.0f64, 0.0]);
    assert_eq!(
        WrappedNormalMixture::new(&inside, &bad_sigma, &ones).map(|_| ()),
        Err(ManifoldError::InvalidArgument {
            name: "sigma",
            value: 0.0,
            reason: "must be finite and > 0"
        })
    );
    assert!(matches!(
        WrappedNormalMixture::new(&inside, &ones.narrow(0, 0, 1), &ones),
        Err(ManifoldError::ShapeMismatch { got, .. }) if got == vec![1]
    ));
    let negative = Tensor::from_slice(&[1.0f64, -1.0]);
    assert_eq!(
        WrappedNormalMixture::new(&inside, &ones, &negative).map(|_| ()),
        Err(ManifoldError::InvalidWeights(vec![1.0, -1.0]))
    );
}
