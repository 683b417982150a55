//! Latent spaces (R^nz or S^nz ⊂ R^{nz+1}), their priors, and the energy networks
//! E(z) = ⟨z_r, ψ(z_r)⟩ and E(z|x) = ⟨z_r, ψ(z_r, x)⟩ on them (paper-spec §4.2).

use crate::error::{Result, at_least, check_width};
use crate::nets::{Activation, Mlp};
use mvl_manifold::row_norm_sq;
use mvl_manifold::{Energy, log_sphere_area};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

/// Which latent geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Geometry {
    /// R^nz with a standard normal prior.
    Euclidean,
    /// The unit sphere S^nz ⊂ R^{nz+1} with the uniform prior.
    Sphere,
}

/// A latent space of dimension nz: R^nz, or S^nz in R^{nz+1} (paper-spec §9.4: "sphere nz
/// means S^nz in R^{nz+1}").
///
/// Points are stored unit-norm on the sphere (the samplers and charts work there); every
/// network that reads them (decoders, energies) first multiplies them by
/// [`LatentSpace::scale`] = √d_z (the authors' `rescale_sph_latent`, on by default,
/// paper-spec §4.2), so that their norm matches the Euclidean case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatentSpace {
    /// The geometry.
    pub geometry: Geometry,
    /// The intrinsic dimension nz (≥ 1).
    pub nz: i64,
}

impl LatentSpace {
    /// The latent space of intrinsic dimension `nz` ≥ 1.
    pub fn new(geometry: Geometry, nz: i64) -> Result<Self> {
        Ok(Self {
            geometry,
            nz: at_least("latent dimension nz", nz, 1)?,
        })
    }

    /// The ambient (coordinate) dimension d_z: nz, or nz + 1 on the sphere.
    pub fn ambient_dim(&self) -> i64 {
        match self.geometry {
            Geometry::Euclidean => self.nz,
            Geometry::Sphere => self.nz + 1,
        }
    }

    /// The factor the networks apply to latents: √d_z on the sphere, 1 in R^nz.
    pub fn scale(&self) -> f64 {
        match self.geometry {
            Geometry::Euclidean => 1.0,
            Geometry::Sphere => (self.ambient_dim() as f64).sqrt(),
        }
    }

    /// The latent of raw network outputs `[b, d_z]`: unchanged in R^nz, L2-normalised on
    /// the sphere with TF's `l2_normalize` floor 1e-12 on the squared norm (paper-spec §9.3).
    pub fn project(&self, raw: &Tensor) -> Tensor {
        match self.geometry {
            Geometry::Euclidean => raw.shallow_clone(),
            Geometry::Sphere => raw * row_norm_sq(raw).clamp_min(1e-12).rsqrt().unsqueeze(-1),
        }
    }

    /// ln p(z) under the prior, `[b]` (paper-spec §4.3): −ln|S^nz| on the sphere (uniform,
    /// w.r.t. the surface measure), Σᵢ ln N(zᵢ; 0, 1) in R^nz.
    pub fn prior_log_prob(&self, z: &Tensor) -> Tensor {
        match self.geometry {
            Geometry::Sphere => z.select(1, 0).zeros_like() - log_sphere_area(self.nz),
            Geometry::Euclidean => {
                let half_log_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
                row_norm_sq(z) * -0.5 - half_log_2pi * self.nz as f64
            }
        }
    }

    /// `z` checked to be a `[b, d_z]` batch.
    pub(crate) fn check(&self, z: &Tensor) -> Result<()> {
        check_width("latents", z, self.ambient_dim())
    }
}

/// The energy network of the implicit models: ψ maps (z_r[, x]) to R^{d_z} through two tanh
/// layers and E = ⟨z_r, ψ⟩ with z_r = scale·z (paper §5, "E(z) = zᵀψ(z)"; paper-spec §4.2,
/// layers `fc1`-`fc3`). A marginal energy (`condition` = 0) implements [`Energy`] itself; a
/// conditional one is evaluated through [`EnergyNet::given`].
#[derive(Debug)]
pub struct EnergyNet {
    psi: Mlp,
    latent: LatentSpace,
    condition: i64,
}

impl EnergyNet {
    /// ψ with `hidden` (≥ 1) tanh units per hidden layer, on `latent`, conditioned on inputs
    /// of width `condition` (0 for a marginal energy), variables under `path`.
    pub fn new(path: &nn::Path, latent: LatentSpace, condition: i64, hidden: i64) -> Result<Self> {
        let (hidden, condition) = (
            at_least("hidden width", hidden, 1)?,
            at_least("condition width", condition, 0)?,
        );
        let d = latent.ambient_dim();
        let psi = Mlp::new(path, &[d + condition, hidden, hidden, d], Activation::Tanh);
        Ok(Self {
            psi,
            latent,
            condition,
        })
    }

    /// The conditional energy z ↦ E(z|x) for the batch `x` `[b, condition]`: it accepts
    /// latents `[b, d_z]` of the same batch size.
    pub fn given<'a>(&'a self, x: &'a Tensor) -> Result<Conditional<'a>> {
        check_width("energy condition", x, self.condition)?;
        Ok(Conditional { net: self, x })
    }

    fn evaluate(&self, z: &Tensor, x: Option<&Tensor>) -> Tensor {
        let zr = z * self.latent.scale();
        let input = match x {
            Some(x) => Tensor::cat(&[&zr, &x.to_kind(zr.kind())], 1),
            None => zr.shallow_clone(),
        };
        (&zr * self.psi.forward(&input)).sum_dim_intlist(1, false, zr.kind())
    }
}

/// E(z) of a marginal energy network (`condition` = 0; a conditional one would fail on the
/// width of its first layer).
impl Energy for EnergyNet {
    fn energy(&self, z: &Tensor) -> Tensor {
        self.evaluate(z, None)
    }
}

/// z ↦ E(z|x) for a fixed batch x ([`EnergyNet::given`]).
#[derive(Debug)]
pub struct Conditional<'a> {
    net: &'a EnergyNet,
    x: &'a Tensor,
}

impl Energy for Conditional<'_> {
    fn energy(&self, z: &Tensor) -> Tensor {
        self.net.evaluate(z, Some(self.x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AeError;
    use tch::{Device, Kind};

    const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

    #[test]
    fn priors_scales_and_projection() {
        let sphere = LatentSpace::new(Geometry::Sphere, 8).expect("valid");
        assert_eq!((sphere.ambient_dim(), sphere.scale()), (9, 3.0));
        let z = sphere.project(&Tensor::randn([4, 9], F64));
        let norms = row_norm_sq(&z);
        assert!((norms - 1.0).abs().max().double_value(&[]) < 1e-12);
        // ln|S^8| = 3.390695 (paper-spec §7.2).
        let lp = sphere.prior_log_prob(&z);
        assert!((lp + 3.390695).abs().max().double_value(&[]) < 1e-6);
        let flat = LatentSpace::new(Geometry::Euclidean, 3).expect("valid");
        assert_eq!((flat.ambient_dim(), flat.scale()), (3, 1.0));
        let z = Tensor::from_slice(&[0.0f64, 0.0, 0.0, 1.0, 2.0, -2.0]).view([2, 3]);
        let lp = Vec::<f64>::try_from(flat.prior_log_prob(&z)).expect("f64");
        let c = -1.5 * (2.0 * std::f64::consts::PI).ln();
        assert!(
            (lp[0] - c).abs() < 1e-12 && (lp[1] - (c - 4.5)).abs() < 1e-12,
            "{lp:?}"
        );
        assert!(matches!(
            LatentSpace::new(Geometry::Sphere, 0),
            Err(AeError::InvalidConfig { value, .. }) if value == 0.0
        ));
    }

    #[test]
    fn energies_are_inner_products_with_psi_of_the_rescaled_latent() {
        let _seed = mvl_manifold::testing::seeded(3);
        let mut vs = nn::VarStore::new(Device::Cpu);
        vs.set_kind(Kind::Double);
        let latent = LatentSpace::new(Geometry::Sphere, 2).expect("valid");
        let cond = EnergyNet::new(&(vs.root() / "c"), latent, 4, 5).expect("valid");
        let marginal = EnergyNet::new(&(vs.root() / "m"), latent, 0, 5).expect("valid");
        let z = latent.project(&Tensor::randn([6, 3], F64));
        let x = Tensor::rand([6, 4], F64);
        let zr = &z * 3f64.sqrt();
        let psi = cond.psi.forward(&Tensor::cat(&[&zr, &x], 1));
        let want = (&zr * psi).sum_dim_intlist(1, false, Kind::Double);
        let got = cond.given(&x).expect("width 4").energy(&z);
        assert!((got - want).abs().max().double_value(&[]) < 1e-12);
        let want = (&zr * marginal.psi.forward(&zr)).sum_dim_intlist(1, false, Kind::Double);
        assert!((marginal.energy(&z) - want).abs().max().double_value(&[]) < 1e-12);
        match cond.given(&Tensor::rand([6, 3], F64)) {
            Err(AeError::ShapeMismatch { got, .. }) => assert_eq!(got, vec![6, 3]),
            other => panic!("expected ShapeMismatch, got {other:?}"),
        }
    }
}
