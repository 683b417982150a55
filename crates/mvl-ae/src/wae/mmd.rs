//! The kernel maximum mean discrepancy of WAE-MMD (Tolstikhin et al. 2018; paper-spec §5.4).

use crate::error::{AeError, Result, floating};
use tch::Tensor;

/// The MMD² estimate between samples `q` (the encoder's latents) and `p` (prior draws) with
/// the Gaussian kernel k(a, b) = exp(−|a − b|² / (2σ²)) (paper-spec §5.4):
///
/// MMD = Σ_{i≠j} [k(qᵢ, qⱼ) + k(pᵢ, pⱼ)] / (n² − n) − 2 Σ_{i,j} k(qᵢ, pⱼ) / n²,
///
/// with the authors' bandwidth σ² = a + b, a the K-th largest of the n² squared distances
/// |qᵢ − pⱼ|², b the K-th largest of the n² squared distances |pᵢ − pⱼ|², K = (n² − n)/2 (a
/// median heuristic; the second argument is the prior sample). The bandwidth is differentiable, as
/// the authors' `top_k` is.
///
/// Errors: [`AeError::ShapeMismatch`] unless both are `[n, d]` with the same n ≥ 2 and d ≥ 1;
/// [`AeError::UnsupportedKind`] for non-floating tensors.
///
/// # Shapes
/// `q`, `p`: `[n, d]`; result `[]`.
///
/// ```
/// use mvl_ae::wae::mmd;
/// use tch::{Device, Kind, Tensor};
/// tch::manual_seed(0);
/// let opts = (Kind::Double, Device::Cpu);
/// let p = Tensor::randn([500, 2], opts);
/// let same = mmd(&Tensor::randn([500, 2], opts), &p)?.double_value(&[]);
/// let shifted = mmd(&(Tensor::randn([500, 2], opts) + 2.0), &p)?.double_value(&[]);
/// assert!(same.abs() < 0.01 && shifted > 0.1, "{same} {shifted}");
/// # Ok::<(), mvl_ae::AeError>(())
/// ```
pub fn mmd(q: &Tensor, p: &Tensor) -> Result<Tensor> {
    floating("MMD sample q", q)?;
    floating("MMD sample p", p)?;
    let (sq, sp) = (q.size(), p.size());
    if !(sq.len() == 2 && sq[0] >= 2 && sq[1] >= 1 && sp == sq) {
        return Err(AeError::ShapeMismatch {
            what: "MMD samples",
            expected: format!("q and p both [n ≥ 2, d ≥ 1], with p {sp:?}"),
            got: sq,
        });
    }
    let p = p.to_kind(q.kind()).to_device(q.device());
    let n = sq[0];
    let (qq, pp, qp) = (sq_dist(q, q), sq_dist(&p, &p), sq_dist(q, &p));
    let k = (n * n - n) / 2;
    let kth_largest = |d: &Tensor| d.flatten(0, -1).topk(k, 0, true, true).0.select(0, k - 1);
    let sigma2 = kth_largest(&qp) + kth_largest(&pp);
    let kernel = |d: &Tensor| (d / (&sigma2 * -2.0)).exp();
    let off_diagonal = (q.ones_like().select(1, 0).diag(0) * -1.0 + 1.0).to_kind(q.kind());
    let within = ((kernel(&qq) + kernel(&pp)) * off_diagonal).sum(q.kind()) / (n * n - n) as f64;
    let across = kernel(&qp).sum(q.kind()) * (2.0 / (n * n) as f64);
    Ok(within - across)
}

/// The squared distances |aᵢ − bⱼ|² `[n, m]`, clamped at 0 against rounding.
fn sq_dist(a: &Tensor, b: &Tensor) -> Tensor {
    let na = a.square().sum_dim_intlist(1, true, a.kind());
    let nb = b.square().sum_dim_intlist(1, true, b.kind());
    (na + nb.transpose(0, 1) - a.matmul(&b.transpose(0, 1)) * 2.0).clamp_min(0.0)
}
