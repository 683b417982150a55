//! The von Mises–Fisher distribution on S^{m−1} ⊂ R^m, batched over (μᵢ, κᵢ).
//!
//! Density with respect to the surface (Hausdorff) measure (Mardia & Jupp 2000, §9.3.2;
//! paper-spec §7.1): p(x) = C_m(κ) exp(κ μᵀx), with
//! ln C_m(κ) = (m/2 − 1) ln κ − (m/2) ln 2π − ln I_{m/2−1}(κ) = −ln|S^{m−1}| − ln ₀F₁(; m/2; κ²/4),
//! the second form (via [`crate::bessel::log_iv_normalized`]) being exact at κ = 0 and free of
//! cancellation for small κ.

mod fit;
mod host;
mod implicit;
mod sample;

pub(crate) use fit::check_unit_rows;
pub use fit::solve_concentration;
pub(crate) use sample::WoodEnvelope;

use crate::bessel::{bessel_ratio_complement_tensor, log_ive_normalized_tensor};
use crate::bessel::{log_iv_normalized_tensor, mean_resultant_length_tensor};
use crate::distribution::{TensorDistribution, floating_kind, to_options};
use crate::energy::Energy;
use crate::error::{ManifoldError, Result};
use crate::metric::{row_dot, row_norm_sq};
use crate::uniform::log_sphere_area;
use tch::{Device, Kind, Tensor};

/// A batch of von Mises–Fisher distributions vMF(μᵢ, κᵢ) on S^{m−1} ⊂ R^m (m ≥ 2, the ambient
/// dimension; m = 2 is the circle, m = 3 the ordinary sphere).
///
/// Method names follow `torch.distributions` (`sample`, `rsample`, `log_prob`, `entropy`,
/// `mean`) and SciPy where torch has none (`fit`); `sample` and `log_prob` are those of
/// [`TensorDistribution`] (kind and device rules there). κ = 0 rows are uniform. Gradients
/// flow to `loc` and `concentration` through `log_prob`, `entropy`, `mean`, `kl_to_uniform`
/// and [`Self::rsample`] (the κ-gradient of a sample is the unbiased implicit
/// reparameterisation gradient, see [`Self::rsample`]).
///
/// # Shapes
/// `loc` `[b, m]`, `concentration` `[b]`; samples `[n, b, m]` (n per row); per-row quantities
/// `[b]`; `log_prob(x)` maps `[..., b, m]` (b may be 1 on either side: broadcasting) to
/// `[..., b]`.
///
/// ```
/// use mvl_manifold::{TensorDistribution, VonMisesFisher};
/// use tch::{Kind, Tensor};
/// let loc = Tensor::from_slice(&[0.0f64, 0.0, 2.0]).view([1, 3]); // normalised to e₃
/// let kappa = Tensor::from_slice(&[10.0f64]);
/// let vmf = VonMisesFisher::new(&loc, &kappa)?;
/// tch::manual_seed(0);
/// let x = vmf.sample(1000);                                     // [1000, 1, 3]
/// assert_eq!(x.size(), vec![1000, 1, 3]);
/// // E\[μᵀx\] = A_3(10) = coth 10 − 1/10.
/// let mean = x.select(2, 2).mean(Kind::Double).double_value(&[]);
/// assert!((mean - 0.9).abs() < 0.01);
/// // On S², C_3(κ) = κ/(4π sinh κ).
/// let lp = vmf.log_prob(&Tensor::from_slice(&[0.0f64, 0.0, 1.0]).view([1, 3]));
/// let exact = 10.0 + (10.0 / (4.0 * std::f64::consts::PI * 10f64.sinh())).ln();
/// assert!((lp.double_value(&[0]) - exact).abs() < 1e-12);
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
#[derive(Debug)]
pub struct VonMisesFisher {
    loc: Tensor,
    concentration: Tensor,
    m: i64,
}

/// The first offending entry (index order) of a host vector.
fn first_bad(values: &[f64], bad: impl Fn(f64) -> bool) -> Option<f64> {
    values.iter().copied().find(|&v| bad(v))
}

/// A tensor's entries as f64 on the host (flattened).
pub(crate) fn host_values(t: &Tensor) -> Vec<f64> {
    let flat = t
        .detach()
        .to_kind(Kind::Double)
        .to_device(Device::Cpu)
        .flatten(0, -1);
    Vec::<f64>::try_from(&flat).expect("invariant: a flat f64 CPU tensor converts to Vec<f64>")
}

impl VonMisesFisher {
    /// vMF(μᵢ, κᵢ) for the rows of `loc` (`[b, m]`, normalised here, gradients kept) and the
    /// entries of `concentration` (`[b]`, cast to `loc`'s kind and device).
    ///
    /// Errors: `ShapeMismatch` for other shapes, `InvalidDimension` for m < 2,
    /// `InvalidConcentration` for a negative or non-finite κ (also one that overflows `loc`'s
    /// kind, e.g. κ = 1e300 with f32 directions), `InvalidMeanDirection` for a zero
    /// or non-finite row of `loc`.
    pub fn new(loc: &Tensor, concentration: &Tensor) -> Result<Self> {
        let size = loc.size();
        if size.len() != 2 {
            return Err(ManifoldError::ShapeMismatch {
                what: "VonMisesFisher loc",
                expected: "[b, m]".to_owned(),
                got: size,
            });
        }
        let (b, m) = (size[0], size[1]);
        if m < 2 {
            return Err(ManifoldError::InvalidDimension {
                what: "VonMisesFisher",
                min: 2,
                got: m,
            });
        }
        if concentration.size() != [b] {
            return Err(ManifoldError::ShapeMismatch {
                what: "VonMisesFisher concentration",
                expected: format!("[{b}]"),
                got: concentration.size(),
            });
        }
        let loc = loc.to_kind(floating_kind(loc));
        // κ must be finite also in the distribution's kind (1e300 overflows f32).
        let cast = host_values(&concentration.to_kind(loc.kind()));
        let kappas = host_values(concentration);
        let bad = |(&k, &c): (&f64, &f64)| !(k.is_finite() && k >= 0.0 && c.is_finite());
        if let Some((&k, _)) = kappas.iter().zip(&cast).find(|&p| bad(p)) {
            return Err(ManifoldError::InvalidConcentration(k));
        }
        // Rows are divided by their largest |entry| before normalising, so that huge (1e200)
        // or tiny entries do not overflow or underflow the squared norm; the scale is a
        // constant for autograd, which the normalisation removes anyway.
        let scale = loc.abs().amax([-1], true).detach();
        let largest = host_values(&scale.to_kind(Kind::Double).squeeze_dim(-1));
        if let Some(n) = first_bad(&largest, |n| !(n.is_finite() && n > 0.0)) {
            return Err(ManifoldError::InvalidMeanDirection(n));
        }
        let scaled = &loc / scale;
        let unit = &scaled / row_norm_sq(&scaled).sqrt().unsqueeze(-1);
        let concentration = concentration.to_kind(loc.kind()).to_device(loc.device());
        Ok(Self::from_unit(unit, concentration))
    }

    /// Assembles a distribution from unit mean directions and valid concentrations.
    pub(crate) fn from_unit(loc: Tensor, concentration: Tensor) -> Self {
        let m = loc.size()[1];
        Self {
            loc,
            concentration,
            m,
        }
    }

    /// The ambient dimension m (samples lie on S^{m−1} ⊂ R^m).
    pub fn dim(&self) -> i64 {
        self.m
    }

    /// The number b of distributions in the batch.
    pub fn batch_size(&self) -> i64 {
        self.loc.size()[0]
    }

    /// The unit mean directions μ, `[b, m]`.
    pub fn loc(&self) -> &Tensor {
        &self.loc
    }

    /// The concentrations κ, `[b]`.
    pub fn concentration(&self) -> &Tensor {
        &self.concentration
    }

    /// ν = m/2 − 1, the Bessel order of the normaliser.
    fn order(&self) -> f64 {
        0.5 * self.m as f64 - 1.0
    }

    /// The mean resultant length A_m(κ) = E\[μᵀx\] = I_{m/2}(κ)/I_{m/2−1}(κ), `[b]`
    /// (Mardia & Jupp 2000, §9.3.2), differentiable in κ.
    pub fn mean_resultant_length(&self) -> Tensor {
        mean_resultant_length_tensor(self.m, &self.concentration)
    }

    /// The mean E\[x\] = A_m(κ) μ, `[b, m]`.
    pub fn mean(&self) -> Tensor {
        self.mean_resultant_length().unsqueeze(-1) * &self.loc
    }

    /// ln C_m(κ) = −ln|S^{m−1}| − ln ₀F₁(; m/2; κ²/4), `[b]` (module docs); its κ-derivative
    /// is −A_m(κ).
    pub fn log_normalizer(&self) -> Tensor {
        Self::log_normalizer_of(self.m, &self.concentration)
    }

    /// ln C_m(κ) of the vMF density on S^{m−1} ⊂ R^m for concentrations κ ≥ 0 of any shape,
    /// without a distribution (kernel density estimates use it with one shared κ).
    pub fn log_normalizer_of(m: i64, concentration: &Tensor) -> Tensor {
        -log_iv_normalized_tensor(0.5 * m as f64 - 1.0, concentration) - log_sphere_area(m - 1)
    }

    /// ln(C_m(κ) e^κ) = −ln|S^{m−1}| − ln(₀F₁(; m/2; κ²/4) e^{−κ}), `[b]`: the log-density at
    /// the mode, O(ln κ), computed without the cancellation of κ + ln C_m(κ) (both O(κ)) that
    /// loses every digit by κ ≈ 10¹⁶ ([`crate::bessel::log_ive_normalized`]).
    fn log_mode_density(&self) -> Tensor {
        -log_ive_normalized_tensor(self.order(), &self.concentration) - log_sphere_area(self.m - 1)
    }

    /// κ(1 − A_m(κ)), `[b]`, with 1 − A_m from [`crate::bessel::bessel_ratio_complement`]
    /// (it tends to (m − 1)/2 as κ → ∞; 1 − A_m computed as a difference would not).
    fn kappa_times_complement(&self) -> Tensor {
        &self.concentration * bessel_ratio_complement_tensor(self.order(), &self.concentration)
    }

    /// The entropy H = −κ A_m(κ) − ln C_m(κ) = κ(1 − A_m(κ)) − ln(C_m(κ) e^κ), `[b]`
    /// (paper-spec §7.1; the second form keeps its digits at any κ: O(ln κ) for large κ).
    pub fn entropy(&self) -> Tensor {
        self.kappa_times_complement() - self.log_mode_density()
    }

    /// KL(vMF ‖ Uniform(S^{m−1})) = ln|S^{m−1}| − H = κ A_m(κ) − ln ₀F₁(; m/2; κ²/4), `[b]`
    /// (paper-spec §7.1), computed as −κ(1 − A_m) − ln(₀F₁ e^{−κ}): exact at κ = 0 and free
    /// of cancellation at large κ.
    pub fn kl_to_uniform(&self) -> Tensor {
        -self.kappa_times_complement()
            - log_ive_normalized_tensor(self.order(), &self.concentration)
    }
}

/// Samples `[n, b, m]` (n per distribution of the batch) in the kind and on the device of
/// `loc`: on the CPU by the fused scalar kernel, elsewhere by tensor operations.
/// `log_prob(x)` = κ μᵀx + ln C_m(κ) with respect to the surface measure of S^{m−1}, for `x`
/// `[..., b, m]` (broadcast against `[b, m]`) → `[..., b]`, computed as
/// κ(μᵀx − 1) + ln(C_m(κ)e^κ) so that it keeps its digits at any κ (at κ = 10¹⁶ the direct
/// sum of two O(κ) terms keeps none). Precondition: the last dimension of `x` is m and the
/// others broadcast against `[b]` (libtorch panics otherwise; flows and objectives check
/// this through [`Energy::input_dim`]).
impl TensorDistribution for VonMisesFisher {
    fn options(&self) -> (Kind, Device) {
        (self.loc.kind(), self.loc.device())
    }

    fn sample(&self, n: i64) -> Tensor {
        let n = n.max(0);
        self.draw_detached(n).view([n, self.batch_size(), self.m])
    }

    fn log_prob(&self, x: &Tensor) -> Tensor {
        let x = to_options(x, self.options());
        (row_dot(&x, &self.loc) - 1.0) * &self.concentration + self.log_mode_density()
    }
}

/// E(x) = −ln p(x): κ μᵀx up to sign and the constant, with the closed-form gradient −κμ.
/// A single-row distribution (b = 1) broadcasts over any batch of points.
///
/// # Shapes
/// `x`: `[N, m]` with b = 1 or b = N; energies `[N]`, gradients `[N, m]`.
impl Energy for VonMisesFisher {
    fn energy(&self, x: &Tensor) -> Tensor {
        -self.log_prob(x)
    }

    fn grad(&self, x: &Tensor) -> Tensor {
        let g = self.concentration.unsqueeze(-1) * &self.loc * -1.0;
        g.expand(x.size(), false).to_kind(x.kind())
    }

    fn energy_and_grad(&self, x: &Tensor) -> (Tensor, Tensor) {
        (self.energy(x), self.grad(x))
    }

    fn input_dim(&self) -> Option<i64> {
        Some(self.m)
    }
}

#[cfg(test)]
mod tests;
