//! The target densities of the synthetic density-estimation experiments (paper Figure 2 and
//! Appendix E.1.3; the hyperbolic one is ours): fixtures built from the manifold crate's
//! distributions, which sample and evaluate them through
//! [`mvl_manifold::TensorDistribution`].

use anyhow::Result;
use mvl_manifold::row_norm_sq;
use mvl_manifold::{VmfMixture, WrappedNormalMixture};
use tch::Tensor;

fn f64s(v: &[f64], shape: &[i64]) -> Tensor {
    Tensor::from_slice(v).view(shape)
}

/// The S^1 target of the paper's notebook (paper-spec §3.2): 0.7·vMF((0, 1), 2) +
/// 0.3·vMF((1, −1)/√2, 3).
pub fn circle_mixture() -> Result<VmfMixture> {
    let h = std::f64::consts::FRAC_1_SQRT_2;
    Ok(VmfMixture::new(
        &f64s(&[0.0, 1.0, h, -h], &[2, 2]),
        &f64s(&[2.0, 3.0], &[2]),
        &f64s(&[0.7, 0.3], &[2]),
    )?)
}

/// The S^2 target of the paper's notebook (paper-spec §3.3; the values its NumPy seed 23
/// draws): four vMF components.
pub fn sphere_mixture() -> Result<VmfMixture> {
    let locs = [
        0.650842,
        0.02518821,
        -0.75879526, //
        0.60032636,
        0.44404078,
        -0.6651586, //
        -0.20620868,
        -0.6381588,
        -0.7417758, //
        0.920022,
        -0.18037434,
        0.3478859,
    ];
    let locs = f64s(&locs, &[4, 3]);
    let locs = &locs / row_norm_sq(&locs).sqrt().unsqueeze(-1);
    Ok(VmfMixture::new(
        &locs,
        &f64s(&[5.56713, 7.0959215, 6.612265, 2.1466303], &[4]),
        &f64s(&[0.07507759, 0.07186799, 0.5370247, 0.31602976], &[4]),
    )?)
}

/// Our H^2 target (no peer can learn densities there with Riemannian MVL): three wrapped
/// normal components at Euclidean radius ≤ 0.6 of the Poincaré disk.
pub fn disk_mixture() -> Result<WrappedNormalMixture> {
    Ok(WrappedNormalMixture::new(
        &f64s(&[0.5, 0.1, -0.35, 0.45, -0.2, -0.55], &[3, 2]),
        &f64s(&[0.45, 0.35, 0.6], &[3]),
        &f64s(&[0.5, 0.3, 0.2], &[3]),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mvl_manifold::TensorDistribution;
    use mvl_manifold::integration::Grid;

    /// The fixtures are normalised on their manifolds and the S^1 density takes the
    /// reference values of paper-spec §3.2.
    #[test]
    fn targets_are_normalised_and_match_the_spec() {
        let s1 = circle_mixture().expect("valid");
        let log_total = |g: &Grid, d: &dyn TensorDistribution| {
            g.log_integral(&d.log_prob(&g.points)).expect("[N]")
        };
        let g = Grid::circle(4000).expect("valid");
        assert!(log_total(&g, &s1).abs() < 1e-10);
        let at = |t: f64| {
            s1.log_prob(&Tensor::from_slice(&[t.cos(), t.sin()]).view([1, 2]))
                .exp()
                .double_value(&[0])
        };
        assert!((at(std::f64::consts::FRAC_PI_2) - 0.362292).abs() < 1e-6);
        assert!((at(0.0) - 0.130480).abs() < 1e-6);
        assert!((at(std::f64::consts::PI) - 0.050045).abs() < 1e-6);
        let s2 = sphere_mixture().expect("valid");
        let g = Grid::sphere2(60, 120).expect("valid");
        assert!(log_total(&g, &s2).abs() < 1e-8);
        let h2 = disk_mixture().expect("valid");
        let g = Grid::poincare_disk(300, 256, 9.0).expect("valid radius");
        assert!(log_total(&g, &h2).abs() < 1e-6);
    }
}
