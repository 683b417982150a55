//! The forward Laplacian of an MLP energy (Li et al. 2023, "Forward Laplacian: a new
//! computational framework for neural network-based variational Monte Carlo",
//! arXiv:2307.08214): value, Jacobian and Laplacian with respect to the input, propagated
//! together through the layers in one batched pass.
//!
//! For a layer's pre-activation a = zWᵀ + b and h = σ(a), the chain rule gives, per output
//! unit j and input coordinate k,
//!
//! ∂ₖa = W ∂ₖz, ∂ₖh = σ'(a) ∂ₖa, ∂ₖ²h = σ''(a)(∂ₖa)² + σ'(a) ∂ₖ²a,
//!
//! and summing the last over k: Δa = W Δz and Δh = σ'(a) ⊙ Δa + σ''(a) ⊙ Σₖ(∂ₖa)², where
//! Σₖ(∂ₖa)² is the row sum of the squared Jacobian (W J_z)². The input starts with J = I,
//! Δ = 0, so the first pre-activation has J = W₁ (shared by every row) and Δ = 0.

use super::{MlpEnergy, MlpForm};
use crate::energy::EnergyLaplacian;
use crate::metric::row_dot;
use tch::Tensor;
use tch::nn::{Linear, Module};

/// A quantity of width w with its derivatives with respect to the input x ∈ R^d.
struct Jet {
    /// The value, `[b, w]`.
    value: Tensor,
    /// The Jacobian with the input coordinate first, J[r, k, j] = ∂ₖ value[r, j]: `[b, d, w]`,
    /// or `[d, w]` while it is the same for every row.
    jacobian: Tensor,
    /// The Laplacian Σₖ ∂ₖ² value, `[b, w]`; `None` while it is zero.
    laplacian: Option<Tensor>,
}

impl Jet {
    /// Through the affine layer a = zWᵀ + b from `input` (`None`: z is the input `x`, with
    /// J = I and Δ = 0): J_a = J_z Wᵀ (W₁ᵀ from the input), Δa = Δz Wᵀ.
    fn affine(input: Option<Self>, layer: &Linear, x: &Tensor) -> Self {
        let transposed = layer.ws.tr();
        match input {
            None => Self {
                value: layer.forward(x),
                jacobian: transposed,
                laplacian: None,
            },
            Some(z) => Self {
                value: layer.forward(&z.value),
                jacobian: z.jacobian.matmul(&transposed),
                laplacian: z.laplacian.map(|l| l.matmul(&transposed)),
            },
        }
    }

    /// Through h = σ(a): J_h = σ'(a) ⊙ J_a, Δh = σ'(a) ⊙ Δa + σ''(a) ⊙ Σₖ(∂ₖa)².
    fn activate(self, activation: super::Activation) -> Self {
        let a = &self.value;
        let (value, slope) = activation.with_slope(a);
        let curvature = activation.curvature(a, &value, &slope);
        let squares = self
            .jacobian
            .square()
            .sum_dim_intlist(-2, false, self.jacobian.kind());
        let mut laplacian = curvature * squares;
        if let Some(l) = &self.laplacian {
            laplacian += &slope * l;
        }
        Self {
            jacobian: slope.unsqueeze(1) * &self.jacobian,
            value,
            laplacian: Some(laplacian),
        }
    }
}

/// E, ∇ₓE and ΔₓE of `mlp` at `x` by the forward Laplacian (module docs). For the inner
/// product E = Σᵢ xᵢψᵢ(x): ∂ₖE = ψₖ + Σᵢ xᵢ ∂ₖψᵢ, so ∇E = ψ + J_ψ x (J indexed as in [`Jet`]),
/// and ∂ₖ²E = 2∂ₖψₖ + Σᵢ xᵢ ∂ₖ²ψᵢ, so ΔE = 2 tr J_ψ + ⟨x, Δψ⟩.
pub(super) fn forward_laplacian(mlp: &MlpEnergy, x: &Tensor) -> EnergyLaplacian {
    let (b, d) = (x.size()[0], mlp.dim);
    let mut hidden = None;
    for layer in &mlp.hidden {
        hidden = Some(Jet::affine(hidden, layer, x).activate(mlp.activation));
    }
    let jet = Jet::affine(hidden, &mlp.output, x);
    let width = jet.value.size()[1];
    let jacobian = jet.jacobian.expand([b, d, width], false);
    let psi_laplacian = jet.laplacian.unwrap_or_else(|| jet.value.zeros_like());
    match mlp.form {
        MlpForm::Scalar => EnergyLaplacian {
            energy: jet.value.squeeze_dim(-1),
            grad: jacobian.squeeze_dim(-1),
            laplacian: psi_laplacian.squeeze_dim(-1),
        },
        MlpForm::InnerProduct => {
            let trace = jacobian
                .diagonal(0, -2, -1)
                .sum_dim_intlist(-1, false, x.kind());
            EnergyLaplacian {
                energy: row_dot(x, &jet.value),
                grad: &jet.value + jacobian.matmul(&x.unsqueeze(-1)).squeeze_dim(-1),
                laplacian: trace * 2.0 + row_dot(x, &psi_laplacian),
            }
        }
    }
}
