//! The kind, device and shape rules of [`TensorDistribution`] for all four distributions, and
//! their normalisation on quadrature grids.

use super::*;
use crate::integration::Grid;
use crate::testing::seeded;
use crate::{HypersphericalUniform, VmfMixture, VonMisesFisher, WrappedNormalMixture};

/// One of each distribution with parameters in `options` (m = 3, except the disk's 2), with
/// the shape of `sample(4)`.
fn all_four(options: (Kind, Device)) -> Vec<(Box<dyn TensorDistribution>, Vec<i64>)> {
    let t = |v: &[f64], shape: &[i64]| to_options(&Tensor::from_slice(v).view(shape), options);
    let locs = t(&[0.0, 0.0, 1.0, 1.0, 0.0, 0.0], &[2, 3]);
    let kappas = t(&[5.0, 0.0], &[2]);
    let weights = t(&[0.3, 0.7], &[2]);
    let centres = t(&[0.2, 0.1, -0.3, 0.4], &[2, 2]);
    vec![
        (
            Box::new(VonMisesFisher::new(&locs, &kappas).expect("valid")),
            vec![4, 2, 3],
        ),
        (
            Box::new(VmfMixture::new(&locs, &kappas, &weights).expect("valid")),
            vec![4, 3],
        ),
        (
            Box::new(
                HypersphericalUniform::new(2)
                    .expect("valid")
                    .with_options(options),
            ),
            vec![4, 3],
        ),
        (
            Box::new(
                WrappedNormalMixture::new(&centres, &(kappas.abs() + 0.5), &weights)
                    .expect("valid"),
            ),
            vec![4, 2],
        ),
    ]
}

/// Samples come in the distribution's kind and on its device, with the documented shape and
/// no graph; log_prob converts f64 CPU points to the same kind and device, `[..., m]` →
/// `[...]`. On CUDA too when a GPU is present.
#[test]
fn samples_and_log_probs_follow_the_distribution_options() {
    let _seed = seeded(2);
    let mut options = vec![(Kind::Float, Device::Cpu), (Kind::Double, Device::Cpu)];
    if tch::Cuda::is_available() {
        options.push((Kind::Float, Device::Cuda(0)));
    }
    for opts in options {
        for (d, shape) in all_four(opts) {
            assert_eq!(d.options(), opts, "{d:?}");
            let x = d.sample(4);
            assert_eq!(
                (x.size(), x.kind(), x.device()),
                (shape.clone(), opts.0, opts.1)
            );
            assert!(!x.requires_grad(), "{d:?}");
            let y = x.to_kind(Kind::Double).to_device(Device::Cpu);
            let lp = d.log_prob(&y);
            let batch = shape[..shape.len() - 1].to_vec();
            assert_eq!((lp.size(), lp.kind(), lp.device()), (batch, opts.0, opts.1));
            assert!(lp.isfinite().all().int64_value(&[]) == 1, "{d:?}");
        }
    }
}

/// A von Mises-Fisher distribution whose parameters require gradients still samples without
/// a graph, while its log-density keeps one.
#[test]
fn samples_are_detached_from_parameter_graphs() {
    let _seed = seeded(3);
    let loc = Tensor::from_slice(&[0.0f64, 0.6, 0.8])
        .view([1, 3])
        .set_requires_grad(true);
    let d = VonMisesFisher::new(&loc, &Tensor::from_slice(&[3.0f64])).expect("valid");
    let x = d.sample(5);
    assert!(!x.requires_grad());
    assert!(d.log_prob(&x).requires_grad());
}

/// ∫ exp(log_prob) dvol = 1: the mixture and the uniform distribution on S¹ and S²
/// (trapezoid and Gauss-Legendre grids), the wrapped normal mixture on the disk of
/// geodesic radius 10.
#[test]
fn log_probs_are_normalised() {
    let f64s = |v: &[f64], shape: &[i64]| Tensor::from_slice(v).view(shape);
    let h = std::f64::consts::FRAC_1_SQRT_2;
    let on_circle = VmfMixture::new(
        &f64s(&[0.0, 1.0, h, -h], &[2, 2]),
        &f64s(&[2.0, 30.0], &[2]),
        &f64s(&[0.7, 0.3], &[2]),
    )
    .expect("valid");
    let on_sphere = VmfMixture::new(
        &f64s(&[0.0, 0.0, 1.0, 0.6, 0.8, 0.0], &[2, 3]),
        &f64s(&[200.0, 0.5], &[2]),
        &f64s(&[1.0, 3.0], &[2]),
    )
    .expect("valid");
    let g1 = Grid::circle(2000).expect("valid");
    let g2 = Grid::sphere2(80, 160).expect("valid");
    let disk = Grid::poincare_disk(300, 128, 10.0).expect("valid radius");
    let wrapped = WrappedNormalMixture::new(
        &f64s(&[0.0, 0.0, 0.7, -0.1], &[2, 2]),
        &f64s(&[0.8, 0.2], &[2]),
        &f64s(&[1.0, 1.0], &[2]),
    )
    .expect("valid");
    let cases: [(&dyn TensorDistribution, &Grid); 5] = [
        (&on_circle, &g1),
        (&on_sphere, &g2),
        (&HypersphericalUniform::new(1).expect("valid"), &g1),
        (&HypersphericalUniform::new(2).expect("valid"), &g2),
        (&wrapped, &disk),
    ];
    for (d, g) in cases {
        let log_total = g.log_integral(&d.log_prob(&g.points)).expect("[N]");
        assert!(log_total.abs() < 1e-9, "{d:?}: {log_total}");
    }
}
