//! The plain-Rust sampler (`VonMisesFisherRng`, rand_distr) against the tensor sampler's
//! tensor-operation path (`rsample`, the path used on CUDA): two independent implementations.

mod common;

use common::{KS_CRIT_1E4, ks_two_sample, mean_se, values};
use mvl_manifold::bessel::mean_resultant_length;
use mvl_manifold::{VonMisesFisher, VonMisesFisherRng};
use nalgebra::DVector;
use rand::SeedableRng;
use rand_distr::Distribution;
use tch::{Kind, Tensor};

/// Two-sample KS on μᵀx, n = 20 000 from each sampler, level 1e-4 per case (5 cases:
/// family-wise 5e-4); √(n/2)·D > 2.226 rejects, i.e. D > 0.022: a CDF difference of 0.04 is
/// detected with probability > 0.999. The mean vectors (hence the mean directions) are compared
/// coordinate by coordinate: the two samplers' means by a two-sample z-test, and the plain
/// sampler's mean against the exact E\[x\] = A_m(κ)μ, both at 4.5 SE (false alarm 7e-6 per
/// coordinate, 138 coordinates).
#[test]
fn plain_and_tensor_samplers_agree() {
    let _seed = mvl_manifold::testing::seeded(30);
    let mut rng = rand::rngs::StdRng::seed_from_u64(30);
    let n = 20_000;
    for (m, kappa) in [(2usize, 1.0), (3, 5.0), (4, 0.3), (10, 20.0), (50, 300.0)] {
        let mu: Vec<f64> = (0..m).map(|i| (i as f64 * 0.7 + 0.3).sin()).collect();
        let plain = VonMisesFisherRng::new(DVector::from_vec(mu.clone()), kappa).expect("valid");
        let draws: Vec<DVector<f64>> = (0..n).map(|_| plain.sample(&mut rng)).collect();
        let mut t_plain: Vec<f64> = draws.iter().map(|x| x.dot(plain.mu())).collect();
        let loc = Tensor::from_slice(&mu).view([1, m as i64]);
        let d = VonMisesFisher::new(&loc, &Tensor::from_slice(&[kappa])).expect("valid");
        let x = d.rsample(n as i64).view([n as i64, m as i64]);
        let mut t_tensor = values(&(&x * d.loc()).sum_dim_intlist(1, false, Kind::Double));
        let stat = ks_two_sample(&mut t_plain, &mut t_tensor);
        assert!(
            stat < KS_CRIT_1E4,
            "m = {m}, κ = {kappa}: √(n/2)·D = {stat}"
        );
        for j in 0..m {
            let a: Vec<f64> = draws.iter().map(|x| x[j]).collect();
            let b = values(&x.select(1, j as i64));
            let ((ma, sa), (mb, sb)) = (mean_se(&a), mean_se(&b));
            let z = (ma - mb) / sa.hypot(sb);
            assert!(
                z.abs() < 4.5,
                "m = {m}, κ = {kappa}, coordinate {j}: z = {z}"
            );
            let exact = mean_resultant_length(m as i64, kappa) * plain.mu()[j];
            assert!(
                (ma - exact).abs() < 4.5 * sa,
                "m = {m}, κ = {kappa}, coordinate {j}: {ma} vs {exact}"
            );
        }
    }
}
