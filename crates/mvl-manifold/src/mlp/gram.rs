//! The forward Laplacian without the input dimension: Gram matrices of the hidden Jacobians.
//!
//! The Jacobian form ([`super::laplacian`]) carries J_z (`[b, d, w]`) through every layer, so
//! its cost grows with the input dimension d. The Laplacian only needs Σₖ(∂ₖa)² per unit of
//! each pre-activation a = Wz + b, the diagonal of its Jacobian's Gram matrix
//!
//! J_a J_aᵀ = W C_z Wᵀ with C_z = J_z J_zᵀ (`[b, w, w]`),
//!
//! and the Gram matrices follow the layers without d: C = WWᵀ for the first pre-activation
//! (J = W₁, shared by every row) and C_h = diag(σ'(a)) C_a diag(σ'(a)) through h = σ(a), so
//! that diag(W C_h Wᵀ) = rowsum(U C_a ⊙ U) with U = W diag(σ'(a)): one matrix product with the
//! shared W₁W₁ᵀ at the second layer. The Laplacians follow as in the Jacobian form,
//! Δh = σ'(a) ⊙ WΔz + σ''(a) ⊙ diag(W C_z Wᵀ).
//!
//! For the inner product E = ⟨x, ψ(x)⟩, tr J_ψ = tr(W_out J_z) = tr(J_z W_out) for the last
//! hidden layer z (J_z of shape `[w, d]`, W_out `[d, w_last]`), and K = J_z W_out
//! (`[b, w, w_last]`) follows the layers as K_h = diag(σ'(a)) W K_z from
//! K = diag(σ'(a₁)) W₁W_out.
//!
//! Per row this costs about Σ wₗ₋₁²wₗ multiply-adds instead of d·Σ wₗ₋₁wₗ: the cheaper form
//! when d exceeds the hidden widths ([`super::laplacian::Method::cheaper`] decides).

use super::{MlpEnergy, MlpForm};
use crate::energy::EnergyLaplacian;
use crate::metric::row_dot;
use tch::Tensor;

/// Elements of the largest per-row Gram temporary (`[rows, w, w]`) per chunk of rows: 2²⁰,
/// 4 MiB in f32, so that the elementwise passes over it stay in cache. Measured on the d = 784
/// workload (widths 256, 2 threads, `scripts/bench_gram_chunks.py`): the stage's forward and
/// backward take 135 ms on 128 rows at once and 71 ms in chunks of 16 or 32 rows.
const CHUNK_ELEMENTS: i64 = 1 << 20;

/// E, ∇ₓE (the explicit backward chain) and ΔₓE by Gram matrices (module docs), over chunks
/// of rows (see [`CHUNK_ELEMENTS`]). `mlp` has at least one hidden layer.
pub(super) fn gram_laplacian(mlp: &MlpEnergy, x: &Tensor) -> EnergyLaplacian {
    let widest = mlp
        .hidden
        .iter()
        .map(|l| l.ws.size()[0] * l.ws.size()[1])
        .max()
        .unwrap_or(1);
    let rows = (CHUNK_ELEMENTS / widest.max(1)).max(1);
    let shared = Shared::new(mlp);
    if x.size()[0] <= rows {
        return gram_rows(mlp, &shared, x);
    }
    let parts: Vec<EnergyLaplacian> = x
        .split(rows, 0)
        .iter()
        .map(|c| gram_rows(mlp, &shared, c))
        .collect();
    let cat = |f: fn(&EnergyLaplacian) -> &Tensor| {
        Tensor::cat(&parts.iter().map(f).collect::<Vec<_>>(), 0)
    };
    EnergyLaplacian {
        energy: cat(|p| &p.energy),
        grad: cat(|p| &p.grad),
        laplacian: cat(|p| &p.laplacian),
    }
}

/// What every chunk of rows shares: the first layer's diag(W₁W₁ᵀ), W₁W₁ᵀ itself when another
/// hidden layer follows, and W₁W_out for the inner product's trace.
struct Shared {
    squares: Tensor,
    gram: Option<Tensor>,
    first_trace: Option<Tensor>,
}

impl Shared {
    fn new(mlp: &MlpEnergy) -> Self {
        let w = &mlp.hidden[0].ws;
        Self {
            squares: w.square().sum_dim_intlist(-1, false, w.kind()),
            gram: (mlp.hidden.len() > 1).then(|| w.matmul(&w.tr())),
            first_trace: (mlp.form == MlpForm::InnerProduct).then(|| w.matmul(&mlp.output.ws)),
        }
    }
}

/// [`gram_laplacian`] on one chunk of rows.
fn gram_rows(mlp: &MlpEnergy, shared: &Shared, x: &Tensor) -> EnergyLaplacian {
    let pass = mlp.trace(x);
    let grad = mlp.input_grad(x, &pass);
    let kind = x.kind();
    let depth = mlp.hidden.len();
    // The Gram matrix Ĉ of the previous pre-activation (`[w, w]` while shared by every row,
    // then `[b, w, w]`; C_z = diag(σ') Ĉ diag(σ') is never formed), with its σ', and Δz.
    let mut previous: Option<(Tensor, &Tensor)> = None;
    let mut laplacian: Option<Tensor> = None;
    for (l, (layer, hidden)) in mlp.hidden.iter().zip(&pass.layers).enumerate() {
        let w = &layer.ws;
        let more = l + 1 < depth;
        // diag(W C_z Wᵀ) and, when another hidden layer follows, W C_z Wᵀ itself: with
        // U = W diag(σ') (per row) and V = UĈ, diag = rowsum(V ⊙ U) and W C_z Wᵀ = VUᵀ.
        let (squares, gram) = match &previous {
            None => (
                shared.squares.shallow_clone(),
                shared.gram.as_ref().map(Tensor::shallow_clone),
            ),
            Some((gram, slope)) => {
                let u = w * slope.unsqueeze(-2);
                let v = u.matmul(gram);
                let squares = (&v * &u).sum_dim_intlist(-1, false, kind);
                (squares, more.then(|| v.matmul(&u.transpose(-1, -2))))
            }
        };
        let curvature = mlp
            .activation
            .curvature(&hidden.pre, &hidden.value, &hidden.slope);
        let mut next = curvature * squares;
        if let Some(before) = &laplacian {
            next += &hidden.slope * before.matmul(&w.tr());
        }
        laplacian = Some(next);
        previous = gram.map(|gram| (gram, &hidden.slope));
    }
    let laplacian = laplacian.expect("gram_laplacian needs a hidden layer");
    let psi_laplacian = laplacian.matmul(&mlp.output.ws.tr());
    let energy = mlp.combine(x, &pass.out);
    let laplacian = match mlp.form {
        MlpForm::Scalar => psi_laplacian.squeeze_dim(-1),
        MlpForm::InnerProduct => {
            trace_of_jacobian(mlp, shared, &pass) * 2.0 + row_dot(x, &psi_laplacian)
        }
    };
    EnergyLaplacian {
        energy,
        grad,
        laplacian,
    }
}

/// tr J_ψ of the inner-product form, `[b]`: K = J_z W_out carried through the hidden layers.
fn trace_of_jacobian(mlp: &MlpEnergy, shared: &Shared, pass: &super::Trace) -> Tensor {
    let first = shared
        .first_trace
        .as_ref()
        .expect("the inner product's shared W₁W_out");
    let mut k: Option<Tensor> = None;
    for (layer, hidden) in mlp.hidden.iter().zip(&pass.layers) {
        let wk = match &k {
            None => first.shallow_clone(),
            Some(k) => layer.ws.matmul(k),
        };
        k = Some(hidden.slope.unsqueeze(-1) * wk);
    }
    let k = k.expect("gram_laplacian needs a hidden layer");
    k.diagonal(0, -2, -1).sum_dim_intlist(-1, false, k.kind())
}
