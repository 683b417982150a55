//! The entropy gradient of an implicit distribution from a learned score (paper eq. 19).

use mvl_manifold::{Energy, Manifold};
use tch::Tensor;

/// A scalar whose gradient with respect to the parameters φ of a sampler z = g_φ(ε) on
/// `manifold` estimates the gradient of the entropy H(q_φ) = −E_q ln q_φ(z), given an energy
/// E ≈ −ln q_φ + const (paper eq. 19, on a manifold as in paper §5):
///
/// ∇_φ H = −E_ε[⟨grad ln q(z), ∂z/∂φ⟩] ≈ E_ε[⟨grad E(z), ∂z/∂φ⟩],
///
/// with grad E the Riemannian gradient of E, the tangent projection of the ambient gradient
/// for a submanifold with the induced metric ([`Manifold::to_tangent`]; on S^n,
/// (I − zzᵀ)∇E; the identity in R^n), so the score is taken inside the manifold. The
/// surrogate is meanᵢ ⟨sg(grad E(zᵢ)), zᵢ⟩ with the score held fixed: only z carries φ, and
/// the energy's own parameters receive no gradient from it. Its value is not the entropy.
///
/// # Shapes
/// `z`: `[b, n]` samples on `manifold` (ambient coordinates, with their graph to φ);
/// result `[]`.
///
/// ```
/// use mvl_ae::entropy_surrogate;
/// use mvl_manifold::{Euclidean, FnEnergy};
/// use tch::{Device, Kind, Tensor};
///
/// // z = σ·ε with the exact energy of N(0, σ²): the surrogate's σ-gradient is the entropy
/// // gradient dH/dσ = 1/σ = 2.
/// tch::manual_seed(0);
/// let sigma = Tensor::from(0.5f64).set_requires_grad(true);
/// let z = Tensor::randn([100_000, 1], (Kind::Double, Device::Cpu)) * &sigma;
/// let energy = FnEnergy::new(|z: &Tensor| z.square().squeeze_dim(-1) / (2.0 * 0.25));
/// entropy_surrogate(&Euclidean::new(1)?, &energy, &z).backward();
/// let grad = sigma.grad().double_value(&[]);
/// assert!((grad - 2.0).abs() < 0.05, "{grad}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn entropy_surrogate<M: Manifold + ?Sized>(
    manifold: &M,
    energy: &dyn Energy,
    z: &Tensor,
) -> Tensor {
    let at = z.detach();
    let score = manifold.to_tangent(&at, &energy.grad(&at)).detach();
    (score * z)
        .sum_dim_intlist(1, false, z.kind())
        .mean(z.kind())
}

#[cfg(test)]
mod tests;
