//! The evidence lower bound's parts, shared by the implicit and explicit VAEs.

use tch::{Reduction, Tensor};

/// The negative ELBO of a batch and its two parts (paper-spec §4.3, §4.5), each a mean
/// over the batch, `[]`.
#[derive(Debug)]
pub struct Elbo {
    /// The reconstruction term −E_q ln p(x|z): Bernoulli negative log-likelihood (summed
    /// binary cross-entropy with logits over the pixels), one latent sample per row.
    pub reconstruction: Tensor,
    /// The KL term E_q[ln q(z|x) − ln p(z)] (an estimate, see each model).
    pub kl: Tensor,
    /// reconstruction + kl = −ELBO, the loss.
    pub loss: Tensor,
}

impl Elbo {
    /// Assembles the parts.
    pub(crate) fn new(reconstruction: Tensor, kl: Tensor) -> Self {
        let loss = &reconstruction + &kl;
        Self {
            reconstruction,
            kl,
            loss,
        }
    }
}

/// −ln p(x|z) for Bernoulli pixels with the given logits, `[b]`: Σⱼ BCE-with-logits
/// (paper-spec §4.3, "summed over 784 pixels").
pub fn bernoulli_nll(logits: &Tensor, x: &Tensor) -> Tensor {
    let x = x.to_kind(logits.kind());
    logits
        .binary_cross_entropy_with_logits::<Tensor>(&x, None, None, Reduction::None)
        .sum_dim_intlist(1, false, logits.kind())
}
