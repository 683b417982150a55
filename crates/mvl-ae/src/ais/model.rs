//! The model AIS estimates the marginal likelihood of: a prior p(z) and a likelihood p(x|z).

use super::error::{AisError, Result};
use mvl_manifold::row_norm_sq;
use mvl_manifold::{HypersphericalUniform, Sphere, TensorDistribution, log_sphere_area};
use tch::{Device, Kind, Tensor};

/// log p(x|z) of a decoder-based model for a batch of latents, one row per chain and image.
///
/// Implemented by every closure `Fn(&Tensor) -> Tensor`. For a decoder with Bernoulli pixels
/// (paper-spec §4.6) it is minus the summed binary cross-entropy of the decoder's logits at z
/// against the image of the row.
///
/// # Shapes
/// `z`: `[chains·images, d]`, row `c·images + i` belonging to chain c of image i (so the
/// images of a batch `x` line up with `x.repeat([chains, 1])`); result `[chains·images]`.
///
/// # Gradients
/// AIS differentiates the result with respect to `z` (HMC and Langevin transitions), so the
/// closure must not detach `z`. Gradients with respect to the decoder's parameters are never
/// taken.
pub trait LogLikelihood {
    /// log p(xᵢ | z) for every row of `z`.
    fn log_likelihood(&self, z: &Tensor) -> Tensor;
}

impl<F: Fn(&Tensor) -> Tensor> LogLikelihood for F {
    fn log_likelihood(&self, z: &Tensor) -> Tensor {
        self(z)
    }
}

/// The prior p(z) of the latents; it also decides the AIS transition kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prior {
    /// N(0, I) on R^dim; transitions by Hamiltonian Monte Carlo (paper-spec §4.6).
    StandardNormal {
        /// The latent dimension.
        dim: i64,
    },
    /// The uniform distribution on S^n ⊂ R^{n+1}; transitions by Riemannian Langevin steps
    /// with a Metropolis-Hastings test (paper-spec §4.6, §2.3, §2.5).
    UniformSphere(Sphere),
}

impl Prior {
    /// N(0, I) on R^dim, dim ≥ 1.
    pub fn standard_normal(dim: i64) -> Result<Self> {
        super::error::setting(dim >= 1, "latent dimension", dim as f64, "must be >= 1")?;
        Ok(Self::StandardNormal { dim })
    }

    /// The uniform distribution on S^n ⊂ R^{n+1}, n ≥ 1 (the paper's `nz` is n).
    pub fn uniform_sphere(n: i64) -> Result<Self> {
        Ok(Self::UniformSphere(Sphere::new(n)?))
    }

    /// The number of coordinates of a latent (n for R^n, n + 1 for S^n ⊂ R^{n+1}).
    pub fn latent_dim(&self) -> i64 {
        match self {
            Self::StandardNormal { dim } => *dim,
            Self::UniformSphere(s) => mvl_manifold::Manifold::ambient_dim(s),
        }
    }

    /// `b` independent draws `[b, latent_dim]` in `options`.
    pub fn sample(&self, b: i64, options: (Kind, Device)) -> Tensor {
        match self {
            Self::StandardNormal { dim } => Tensor::randn([b, *dim], options),
            Self::UniformSphere(s) => HypersphericalUniform::new(mvl_manifold::Manifold::dim(s))
                .expect("invariant: a valid sphere has dimension >= 1")
                .with_options(options)
                .sample(b),
        }
    }

    /// ∇_z log p(z) in the latent coordinates: −z for N(0, I), 0 for the sphere's constant
    /// density (as a function of the ambient coordinates).
    pub(crate) fn grad_log_prob(&self, z: &Tensor) -> Tensor {
        match self {
            Self::StandardNormal { .. } => -z,
            Self::UniformSphere(_) => z.zeros_like(),
        }
    }

    /// log p(z) for the rows of `z` (`[b, latent_dim]` → `[b]`): −|z|²/2 − (d/2) ln 2π, or
    /// −ln|S^n| (with respect to the surface measure).
    pub fn log_prob(&self, z: &Tensor) -> Tensor {
        match self {
            Self::StandardNormal { dim } => {
                row_norm_sq(z) * -0.5 - 0.5 * *dim as f64 * (2.0 * std::f64::consts::PI).ln()
            }
            // Written as a function of z (times 0) so that energies built from it keep z in
            // their graph: libtorch hands back no gradient at all for an unused input.
            Self::UniformSphere(s) => {
                z.select(1, 0) * 0.0 - log_sphere_area(mvl_manifold::Manifold::dim(s))
            }
        }
    }
}

/// log p(x|z) at `z` (`[b, d]`) without gradients, checked to have shape `[b]`.
pub(crate) fn log_likelihood(ll: &dyn LogLikelihood, z: &Tensor) -> Result<Tensor> {
    let value = tch::no_grad(|| ll.log_likelihood(&z.detach()));
    check_shape(&value, z.size()[0])?;
    Ok(value)
}

/// log p(x|z) at `z` (`[b, d]`) and its gradient ∇_z (`[b, d]`), without graphs; zero where
/// the value does not depend on z.
///
/// Errors: [`AisError::ShapeMismatch`] unless the value has shape `[b]`; [`AisError::Torch`]
/// when libtorch cannot differentiate it with respect to `z`.
pub(crate) fn log_likelihood_and_grad(
    ll: &dyn LogLikelihood,
    z: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let z = z.detach().set_requires_grad(true);
    tch::with_grad(|| {
        let value = ll.log_likelihood(&z);
        check_shape(&value, z.size()[0])?;
        if !value.requires_grad() {
            return Ok((value, z.zeros_like()));
        }
        // The zero term keeps z in the graph when the value depends on parameters only (a
        // gradient with respect to an unused input is an error in libtorch).
        let total = value.sum(value.kind()) + (&z * 0.0).sum(value.kind());
        let mut grads = Tensor::f_run_backward(&[total], &[&z], false, false)
            .map_err(|e| AisError::Torch(e.to_string()))?;
        let grad = grads.pop().unwrap_or_else(|| z.zeros_like());
        Ok((value.detach(), grad))
    })
}

fn check_shape(value: &Tensor, b: i64) -> Result<()> {
    if value.size() == [b] {
        Ok(())
    } else {
        Err(AisError::ShapeMismatch {
            what: "log-likelihood",
            expected: format!("[{b}]"),
            got: value.size(),
        })
    }
}
