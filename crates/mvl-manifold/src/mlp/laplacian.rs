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

/// How [`forward_laplacian`] carries the input derivatives through the layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    /// The Jacobians themselves, `[b, d, w]` (this module).
    Jacobian,
    /// Their Gram matrices, `[b, w, w]` ([`super::gram`]), independent of d.
    Gram,
}

impl Method {
    /// The method with fewer multiply-adds per row for `mlp` (counting the batched matrix
    /// products and the elementwise work on the carried tensors).
    pub(super) fn cheaper(mlp: &MlpEnergy) -> Self {
        let widths: Vec<i64> = mlp.hidden.iter().map(|l| l.ws.size()[0]).collect();
        let Some(&last) = widths.last() else {
            return Method::Jacobian;
        };
        let out = mlp.output.ws.size()[0];
        let d = mlp.dim;
        let pairs = || widths.windows(2).map(|w| (w[0], w[1]));
        // Jacobian: [b, d, w] through every layer (matrix products from the second on).
        let jacobian: i64 = d * (pairs().map(|(a, b)| a * b).sum::<i64>() + out * last)
            + 2 * d * widths.iter().sum::<i64>();
        // Gram: U and V = UĈ at every layer from the second, VUᵀ where a hidden layer follows.
        let following = widths.len().saturating_sub(2);
        let mut gram: i64 = pairs().map(|(a, b)| b * a * (a + 2)).sum::<i64>()
            + pairs().take(following).map(|(a, b)| b * b * a).sum::<i64>();
        if mlp.form == MlpForm::InnerProduct {
            gram += pairs().map(|(a, b)| b * a * last).sum::<i64>() + widths[0] * last;
        }
        if gram < jacobian {
            Method::Gram
        } else {
            Method::Jacobian
        }
    }
}

/// E, ∇ₓE and ΔₓE of `mlp` at `x` by `method`.
pub(super) fn forward_laplacian(mlp: &MlpEnergy, x: &Tensor, method: Method) -> EnergyLaplacian {
    match method {
        Method::Jacobian => jacobian_laplacian(mlp, x),
        Method::Gram => super::gram::gram_laplacian(mlp, x),
    }
}

/// E, ∇ₓE and ΔₓE of `mlp` at `x` by the forward Laplacian (module docs). For the inner
/// product E = Σᵢ xᵢψᵢ(x): ∂ₖE = ψₖ + Σᵢ xᵢ ∂ₖψᵢ, so ∇E = ψ + J_ψ x (J indexed as in [`Jet`]),
/// and ∂ₖ²E = 2∂ₖψₖ + Σᵢ xᵢ ∂ₖ²ψᵢ, so ΔE = 2 tr J_ψ + ⟨x, Δψ⟩.
fn jacobian_laplacian(mlp: &MlpEnergy, x: &Tensor) -> EnergyLaplacian {
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
