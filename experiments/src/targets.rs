//! The target densities of the synthetic density-estimation experiments (paper Figure 2 and
//! Appendix E.1.3; the hyperbolic one is ours).

use anyhow::Result;
use mvl_manifold::metric::row_norm_sq;
use mvl_manifold::{Manifold, PoincareBall, VmfMixture};
use tch::{Device, Kind, Tensor};

/// A density with exact samples and an exact log-density (w.r.t. the Riemannian volume).
pub trait Target {
    /// `n` samples, `[n, ambient]`, of the given kind on the given device.
    fn sample(&self, n: i64, kind: Kind, device: Device) -> Tensor;
    /// The log-density of `[b, ambient]` points (f64 in, f64 out).
    fn log_prob(&self, y: &Tensor) -> Tensor;
}

impl Target for VmfMixture {
    fn sample(&self, n: i64, kind: Kind, device: Device) -> Tensor {
        VmfMixture::sample(self, n).to_kind(kind).to_device(device)
    }
    fn log_prob(&self, y: &Tensor) -> Tensor {
        VmfMixture::log_prob(self, y)
    }
}

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

/// A mixture of isotropic wrapped normals on the Poincaré disk (ours: no peer can learn
/// densities there with Riemannian MVL). Component k: x = μₖ ⊕ exp₀(u/2), u ~ N(0, σₖ²I),
/// so the geodesic distance to μₖ is ρ = |u| and, since left Möbius translations are
/// isometries, the density w.r.t. the hyperbolic area is
/// N₂(u; 0, σₖ²I)·ρ/sinh ρ (the Jacobian of the exponential map in curvature −1).
#[derive(Debug)]
pub struct WrappedNormalMixture {
    ball: PoincareBall,
    centres: Vec<[f64; 2]>,
    sigmas: Vec<f64>,
    weights: Vec<f64>,
}

impl WrappedNormalMixture {
    /// Our H^2 target: three components at Euclidean radius ≤ 0.6 of the disk.
    pub fn ours() -> Result<Self> {
        Ok(Self {
            ball: PoincareBall::new(2)?,
            centres: vec![[0.5, 0.1], [-0.35, 0.45], [-0.2, -0.55]],
            sigmas: vec![0.45, 0.35, 0.6],
            weights: vec![0.5, 0.3, 0.2],
        })
    }

    fn component_log_prob(&self, k: usize, y: &Tensor) -> Tensor {
        let mu = Tensor::from_slice(&self.centres[k])
            .to_kind(y.kind())
            .to_device(y.device())
            .unsqueeze(0);
        let rho = self.ball.dist(&mu.expand_as(y), y).clamp_min(1e-12);
        let s2 = self.sigmas[k].powi(2);
        -rho.square() / (2.0 * s2) - (2.0 * std::f64::consts::PI * s2).ln() + rho.log()
            - rho.sinh().log()
    }
}

impl Target for WrappedNormalMixture {
    fn sample(&self, n: i64, kind: Kind, device: Device) -> Tensor {
        let opts = (Kind::Double, Device::Cpu);
        let probs = Tensor::from_slice(&self.weights);
        let comp = probs.multinomial(n, true);
        let centres = Tensor::from_slice(&self.centres.concat())
            .view([-1, 2])
            .index_select(0, &comp);
        let sigmas = Tensor::from_slice(&self.sigmas)
            .index_select(0, &comp)
            .unsqueeze(-1);
        let u = Tensor::randn([n, 2], opts) * sigmas;
        let rho = row_norm_sq(&u).sqrt().unsqueeze(-1).clamp_min(1e-300);
        let at_origin = &u * ((&rho / 2.0).tanh() / &rho);
        let x = self.ball.mobius_add(&centres, &at_origin);
        self.ball.project(&x).to_kind(kind).to_device(device)
    }

    fn log_prob(&self, y: &Tensor) -> Tensor {
        let parts: Vec<Tensor> = (0..self.weights.len())
            .map(|k| self.component_log_prob(k, y) + self.weights[k].ln())
            .collect();
        Tensor::stack(&parts, 1).logsumexp([1], false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quadrature::{circle, hyperbolic_disk, log_integral, sphere2};

    #[test]
    fn targets_are_normalised_and_match_the_spec() {
        let s1 = circle_mixture().expect("valid");
        let g = circle(4000);
        assert!(log_integral(&Target::log_prob(&s1, &g.points), &g).abs() < 1e-10);
        // Reference values of the true S^1 density (paper-spec §3.2).
        let at = |t: f64| {
            Target::log_prob(&s1, &Tensor::from_slice(&[t.cos(), t.sin()]).view([1, 2]))
                .exp()
                .double_value(&[0])
        };
        assert!((at(std::f64::consts::FRAC_PI_2) - 0.362292).abs() < 1e-6);
        assert!((at(0.0) - 0.130480).abs() < 1e-6);
        assert!((at(std::f64::consts::PI) - 0.050045).abs() < 1e-6);
        let s2 = sphere_mixture().expect("valid");
        let g = sphere2(60, 120);
        assert!(log_integral(&Target::log_prob(&s2, &g.points), &g).abs() < 1e-8);
        let h2 = WrappedNormalMixture::ours().expect("valid");
        let g = hyperbolic_disk(300, 256, 9.0);
        assert!(log_integral(&h2.log_prob(&g.points), &g).abs() < 1e-6);
    }

    /// Samples against the density: the mean of a test function under 2·10⁵ samples equals its
    /// quadrature integral within 4 standard errors.
    #[test]
    fn hyperbolic_samples_follow_the_density() {
        tch::manual_seed(3);
        let h2 = WrappedNormalMixture::ours().expect("valid");
        let y = h2.sample(200_000, Kind::Double, Device::Cpu);
        let f = |y: &Tensor| y.select(1, 0) + y.select(1, 1).square();
        let v = f(&y);
        let (mean, se) = (
            v.mean(Kind::Double).double_value(&[]),
            v.std(true).double_value(&[]) / 200_000f64.sqrt(),
        );
        let g = hyperbolic_disk(300, 256, 9.0);
        let want = (f(&g.points) * h2.log_prob(&g.points).exp() * &g.weights)
            .sum(Kind::Double)
            .double_value(&[]);
        assert!((mean - want).abs() < 4.0 * se, "{mean} vs {want} (SE {se})");
    }
}
