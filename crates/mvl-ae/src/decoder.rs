//! What the test log-likelihood of a decoder-based model needs: its latent space (and with it
//! the prior) and its decoder, whatever its encoder was; and that log-likelihood by annealed
//! importance sampling (paper-spec §4.6: only the prior and the decoder enter).

use crate::ais::{Ais, AisRun, LogLikelihood, Prior, Progress};
use crate::elbo::bernoulli_nll;
use crate::error::{Result, check_width, floating};
use crate::explicit_vae::ExplicitVae;
use crate::implicit_vae::ImplicitVae;
use crate::latent::{Geometry, LatentSpace};
use tch::Tensor;

/// A latent-variable model p(z) p(x|z) with Bernoulli pixels: the prior of its latent space
/// (N(0, I) on R^nz, uniform on S^nz) and a decoder to logits.
pub trait Decoder: std::fmt::Debug {
    /// The latent space.
    fn latent(&self) -> LatentSpace;
    /// The decoder's logits `[b, data_dim]` at latents `[b, d_z]`.
    fn decode(&self, z: &Tensor) -> Result<Tensor>;
}

impl Decoder for ImplicitVae {
    fn latent(&self) -> LatentSpace {
        self.config().latent
    }
    fn decode(&self, z: &Tensor) -> Result<Tensor> {
        ImplicitVae::decode(self, z)
    }
}

impl Decoder for ExplicitVae {
    fn latent(&self) -> LatentSpace {
        ExplicitVae::latent(self)
    }
    fn decode(&self, z: &Tensor) -> Result<Tensor> {
        ExplicitVae::decode(self, z)
    }
}

impl LatentSpace {
    /// The prior as AIS takes it.
    pub fn prior(&self) -> Result<Prior> {
        Ok(match self.geometry {
            Geometry::Euclidean => Prior::standard_normal(self.nz)?,
            Geometry::Sphere => Prior::uniform_sphere(self.nz)?,
        })
    }
}

/// AIS with `chains` chains per image and `temperatures` inverse temperatures (the paper: 16
/// and 1000) for `model`'s prior: HMC in R^nz, Riemannian Langevin with Metropolis-Hastings
/// on S^nz.
pub fn ais_for(model: &dyn Decoder, chains: usize, temperatures: usize) -> Result<Ais> {
    Ok(Ais::new(model.latent().prior()?, chains, temperatures)?)
}

/// ln p(x) of the binarised images `x` `[m, data_dim]` under `model` by `ais` (one batch; the
/// latents in `x`'s kind and device), calling `progress` every `every` transitions.
pub fn test_log_likelihood(
    ais: &Ais,
    model: &dyn Decoder,
    x: &Tensor,
    every: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Result<AisRun> {
    floating("test images", x)?;
    let options = (x.kind(), x.device());
    // The decoder's output width, from one prior draw, is the width the images must have.
    let probe = model.decode(&ais.prior().sample(1, options))?;
    check_width("test images", x, probe.size()[1])?;
    let images = x.size()[0] as usize;
    let repeated = x.repeat([ais.chains() as i64, 1]);
    let decoder_ll = DecoderLikelihood {
        model,
        x: &repeated,
    };
    Ok(ais.run_with_progress(&decoder_ll, images, options, every, progress)?)
}

/// ln p(x|z) = −Σ BCE(decode(z), x) for rows laid out as AIS lays out its chains.
struct DecoderLikelihood<'a> {
    model: &'a dyn Decoder,
    x: &'a Tensor,
}

impl LogLikelihood for DecoderLikelihood<'_> {
    fn log_likelihood(&self, z: &Tensor) -> Tensor {
        // The widths were checked in `test_log_likelihood`; should decoding still fail, the
        // empty result is reported by AIS as a shape mismatch.
        match self.model.decode(z) {
            Ok(logits) => -bernoulli_nll(&logits, self.x),
            Err(_) => Tensor::full([0], f64::NAN, (z.kind(), z.device())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AeError;
    use tch::{Device, Kind};

    /// A decoder whose logits do not depend on z: p(x) = p(x|z) exactly.
    #[derive(Debug)]
    struct Constant {
        latent: LatentSpace,
        logits: Tensor,
    }

    impl Decoder for Constant {
        fn latent(&self) -> LatentSpace {
            self.latent
        }
        fn decode(&self, z: &Tensor) -> Result<Tensor> {
            // z·0 keeps the latents in the graph, as a real decoder does.
            Ok(self.logits.expand([z.size()[0], 4], false)
                + z.sum_dim_intlist(1, true, z.kind()) * 0.0)
        }
    }

    #[test]
    fn a_decoder_that_ignores_z_has_its_likelihood_recovered_exactly_in_both_geometries() {
        let _seed = mvl_manifold::testing::seeded(3);
        let opts = (Kind::Double, Device::Cpu);
        let logits = Tensor::from_slice(&[0.5f64, -1.0, 2.0, 0.0]).view([1, 4]);
        let x = Tensor::from_slice(&[1.0f64, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0]).view([2, 4]);
        let exact = -bernoulli_nll(&logits.expand([2, 4], false), &x);
        for geometry in [Geometry::Euclidean, Geometry::Sphere] {
            let model = Constant {
                latent: LatentSpace::new(geometry, 2).expect("valid"),
                logits: logits.to_kind(opts.0),
            };
            let ais = ais_for(&model, 4, 20).expect("valid");
            let run = test_log_likelihood(&ais, &model, &x, usize::MAX, &mut |_| {}).expect("runs");
            for (i, est) in run.images.iter().enumerate() {
                let want = exact.double_value(&[i as i64]);
                assert!(
                    (est.log_likelihood - want).abs() < 1e-10,
                    "{geometry:?} image {i}"
                );
            }
            let wrong = Tensor::zeros([2, 5], opts);
            let err = test_log_likelihood(&ais, &model, &wrong, usize::MAX, &mut |_| {});
            assert!(matches!(err, Err(AeError::ShapeMismatch { .. })), "{err:?}");
        }
    }
}
