//! The kernelized Stein discrepancy (Liu, Lee & Jordan 2016; Chwialkowski et al. 2016).

use crate::error::{ObjectiveError, Result};
use crate::objective::{Objective, check_batch, positive};
use mvl_flows::kernel::{Bandwidth, sq_distances};
use mvl_manifold::Energy;
use tch::{Kind, Tensor};

/// The squared kernelized Stein discrepancy between the data distribution p and q ∝ exp(−E),
/// as the U-statistic over the batch, with the RBF kernel k(a, b) = exp(−|a − b|²/(2h)) and
/// the bandwidth rules of the flows ([`Bandwidth`]: the authors' median heuristic, as SVGD
/// uses, or a fixed h):
///
/// KSD²_U = 1/(b(b−1)) Σ_{i≠j} u(xᵢ, xⱼ),
/// u(x, x') = s(x)ᵀs(x')k + s(x)ᵀ∇_{x'}k + ∇ₓkᵀs(x') + tr ∇ₓ∇_{x'}k,  s = −∇E,
///
/// which for the RBF kernel is u = k·[∇E·∇E' − ⟨∇E − ∇E', x − x'⟩/h + d/h − |x − x'|²/h²].
/// It is ≥ 0 in expectation and 0 iff p = q (for characteristic kernels). As an objective its
/// per-sample term i is the row mean Σ_{j≠i} u(xᵢ, xⱼ)/(b − 1). The MVL objective with SVGD
/// estimates ½(KSD²_V − T) with T the V-statistic of the trace term (see
/// [`KernelStein::pair_matrix`] and paper §3.4): a model-independent shift and scale.
///
/// ```
/// use mvl_manifold::GaussianEnergy;
/// use mvl_flows::kernel::Bandwidth;
/// use mvl_objectives::{KernelStein, Objective};
/// use tch::{Device, Kind, Tensor};
/// tch::manual_seed(0);
/// let opts = (Kind::Double, Device::Cpu);
/// let x = Tensor::randn([400, 2], opts);
/// let ksd = KernelStein::new(Bandwidth::Median)?;
/// let right = GaussianEnergy::new(&Tensor::zeros([2], opts), 1.0)?;
/// let wrong = GaussianEnergy::new(&Tensor::ones([2], opts), 1.0)?;
/// let near = ksd.loss(&right, &x)?.double_value(&[]);
/// let far = ksd.loss(&wrong, &x)?.double_value(&[]);
/// assert!(near.abs() < 0.01 && far > 0.1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelStein {
    bandwidth: Bandwidth,
}

impl KernelStein {
    /// KSD with the given bandwidth rule; a fixed bandwidth must be finite and > 0
    /// ([`ObjectiveError::Flow`] with [`mvl_flows::FlowError::InvalidParameter`] otherwise,
    /// the flows' check).
    pub fn new(bandwidth: Bandwidth) -> Result<Self> {
        Ok(Self {
            bandwidth: bandwidth.validated()?,
        })
    }

    /// KSD with a fixed bandwidth h (finite, > 0).
    pub fn fixed(h: f64) -> Result<Self> {
        Self::new(Bandwidth::Fixed(positive("bandwidth", h)?))
    }

    /// The bandwidth h for the batch `x` (no gradient). Precondition: `x` is a non-empty
    /// floating-point `[b, n]` batch (the checks of [`Objective::per_sample`]).
    pub fn bandwidth(&self, x: &Tensor) -> f64 {
        let x = x.detach();
        self.bandwidth
            .resolve(&sq_distances(&x, &x))
            .to_kind(Kind::Double)
            .double_value(&[])
    }

    /// The matrices (u(xᵢ, xⱼ), tr ∇ₓ∇_{x'}k(xᵢ, xⱼ)), both `[b, b]`, with bandwidth `h`.
    /// The first is differentiable with respect to the energy's parameters. Precondition: as
    /// for [`KernelStein::bandwidth`], with a width the energy accepts, and h > 0.
    pub fn pair_matrix(&self, energy: &dyn Energy, x: &Tensor, h: f64) -> (Tensor, Tensor) {
        // An energy of another floating kind (f64 for f32 points): its gradient in x's kind.
        let g = energy.grad(x).to_kind(x.kind());
        let d = x.size()[1] as f64;
        let r2 = sq_distances(x, x);
        let k = (&r2 / (-2.0 * h)).exp();
        let gx = (&g * x).sum_dim_intlist(-1, true, x.kind()); // ⟨gᵢ, xᵢ⟩, [b, 1]
        let cross = g.matmul(&x.transpose(0, 1)); // ⟨gᵢ, xⱼ⟩
        // ⟨gᵢ − gⱼ, xᵢ − xⱼ⟩ = ⟨gᵢ,xᵢ⟩ − ⟨gᵢ,xⱼ⟩ − ⟨gⱼ,xᵢ⟩ + ⟨gⱼ,xⱼ⟩
        let mixed = &gx - &cross - cross.transpose(0, 1) + gx.transpose(0, 1);
        let trace = &k * ((&r2 / (-h * h)) + d / h);
        let u = &k * (g.matmul(&g.transpose(0, 1)) - mixed / h) + &trace;
        (u, trace)
    }
}

impl Objective for KernelStein {
    fn name(&self) -> &'static str {
        "KSD"
    }

    fn per_sample(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor> {
        check_batch(self.name(), energy, x)?;
        let b = x.size()[0];
        if b < 2 {
            return Err(ObjectiveError::BadBatch {
                objective: self.name(),
                got: x.size(),
            });
        }
        let (u, _) = self.pair_matrix(energy, x, self.bandwidth(x));
        let off = u.sum_dim_intlist(-1, false, u.kind()) - u.diagonal(0, 0, 1);
        Ok(off / (b - 1) as f64)
    }
}
