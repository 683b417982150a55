//! The von Mises–Fisher distribution as a plain-Rust `rand_distr::Distribution` over nalgebra
//! vectors: an f64 reference for tests and for code that does not want tensors.

use crate::error::{ManifoldError, Result};
use crate::von_mises_fisher::WoodEnvelope;
use nalgebra::DVector;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Gamma, StandardNormal};

/// vMF(μ, κ) on S^{m−1} ⊂ R^m with the same algorithms as [`crate::VonMisesFisher`] (Wood's
/// rejection sampler with the stable envelope, the exact inverse CDF for m = 3, the signed
/// Householder reflection), in f64 scalar code.
///
/// ```
/// use mvl_manifold::VonMisesFisherRng;
/// use nalgebra::DVector;
/// use rand::SeedableRng;
/// use rand_distr::Distribution;
/// let vmf = VonMisesFisherRng::new(DVector::from_vec(vec![0.0, 3.0, 4.0]), 50.0)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
/// let x: DVector<f64> = vmf.sample(&mut rng);
/// assert!((x.norm() - 1.0).abs() < 1e-14);
/// assert!(x.dot(vmf.mu()) > 0.5);
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
#[derive(Debug, Clone)]
pub struct VonMisesFisherRng {
    mu: DVector<f64>,
    kernel: VmfKernel,
}

impl VonMisesFisherRng {
    /// vMF with mean direction `mu` (length m ≥ 2, normalised here) and concentration
    /// `kappa` ≥ 0. Errors: `InvalidDimension`, `InvalidConcentration`, `InvalidMeanDirection`
    /// (as [`crate::VonMisesFisher::new`]).
    pub fn new(mu: DVector<f64>, kappa: f64) -> Result<Self> {
        let m = mu.len() as i64;
        if m < 2 {
            return Err(ManifoldError::InvalidDimension {
                what: "VonMisesFisherRng",
                min: 2,
                got: m,
            });
        }
        if !(kappa.is_finite() && kappa >= 0.0) {
            return Err(ManifoldError::InvalidConcentration(kappa));
        }
        // Scaled by the largest |entry| first, so that huge or tiny entries do not overflow
        // or underflow the norm (as in `VonMisesFisher::new`).
        // `amax` skips NaN entries (NaN > x is false): a NaN is reported as the row's value.
        let largest = if mu.iter().any(|v| v.is_nan()) {
            f64::NAN
        } else {
            mu.amax()
        };
        if !(largest.is_finite() && largest > 0.0) {
            return Err(ManifoldError::InvalidMeanDirection(largest));
        }
        let scaled = mu / largest;
        Ok(Self {
            mu: &scaled / scaled.norm(),
            kernel: VmfKernel::new(m, kappa),
        })
    }

    /// The unit mean direction.
    pub fn mu(&self) -> &DVector<f64> {
        &self.mu
    }

    /// The concentration.
    pub fn kappa(&self) -> f64 {
        self.kernel.kappa
    }
}

impl Distribution<DVector<f64>> for VonMisesFisherRng {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> DVector<f64> {
        let mut x = DVector::zeros(self.mu.len());
        self.kernel
            .sample_into(self.mu.as_slice(), rng, x.as_mut_slice());
        x
    }
}

/// The scalar sampling kernel for one (m, κ), shared by [`VonMisesFisherRng`] and the CPU path
/// of [`crate::VonMisesFisher::sample`].
#[derive(Debug, Clone)]
pub(crate) struct VmfKernel {
    kappa: f64,
    three: bool,
    envelope: WoodEnvelope,
    gamma: Gamma<f64>,
}

impl VmfKernel {
    /// The kernel for ambient dimension m ≥ 2 and a valid κ ≥ 0.
    pub fn new(m: i64, kappa: f64) -> Self {
        let shape = 0.5 * (m - 1) as f64;
        let gamma = Gamma::new(shape, 1.0).expect("invariant: shape (m−1)/2 ≥ 1/2 is valid");
        Self {
            kappa,
            three: m == 3,
            envelope: WoodEnvelope::new(m, kappa),
            gamma,
        }
    }

    /// y = 1 − μᵀx by the inverse CDF (m = 3) or Wood's rejection sampler (Beta(n/2, n/2) as
    /// G₁/(G₁ + G₂) from two gamma variates; ln U = −E with E ~ Exp(1)).
    pub fn sample_y<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if self.three {
            let v: f64 = rng.random();
            // Same inversion as the tensor sampler: 1 − w = −ln(1 + v·expm1(−2κ))/κ.
            return if self.kappa > 0.0 {
                -(v * (-2.0 * self.kappa).exp_m1()).ln_1p() / self.kappa
            } else {
                2.0 * v
            };
        }
        loop {
            let g1 = self.gamma.sample(rng);
            let g2 = self.gamma.sample(rng);
            let sum = g1 + g2;
            let (y, log_ratio) = self.envelope.propose(g1 / sum, (g1 - g2) / sum);
            let e: f64 = rand_distr::Exp1.sample(rng);
            if log_ratio + e >= 0.0 {
                return y;
            }
        }
    }

    /// Writes one sample with unit mean direction `mu` (length m) into `out` (length m): a
    /// uniform tangent direction t/|t| (t standard normal) at angle arccos(1 − y) from the
    /// pole, then the signed Householder reflection of
    /// [`crate::von_mises_fisher`]'s `rotate_from_pole` (He₁ = μ, exact at μ = ±e₁).
    pub fn sample_into<R: Rng + ?Sized>(&self, mu: &[f64], rng: &mut R, out: &mut [f64]) {
        let y = self.sample_y(rng);
        let (t, rest) = (&mut out[1..], &mu[1..]);
        t.iter_mut().for_each(|ti| *ti = rng.sample(StandardNormal));
        let (norm_sq, dot) = norm_and_dot(t, rest);
        let scale = (y * (2.0 - y)).max(0.0).sqrt() / norm_sq.sqrt().max(f64::MIN_POSITIVE);
        let s = if mu[0] >= 0.0 { 1.0 } else { -1.0 };
        let proj = scale * dot;
        let coef = (1.0 - y) + s * proj / (1.0 + s * mu[0]);
        let minus_s_scale = -s * scale;
        for (ti, &ri) in t.iter_mut().zip(rest) {
            *ti = coef * ri + minus_s_scale * *ti;
        }
        out[0] = mu[0] * (1.0 - y) + proj;
    }
}

/// (|t|², ⟨t, r⟩) with four independent partial sums (no loop-carried dependency, so the loop
/// vectorises).
fn norm_and_dot(t: &[f64], r: &[f64]) -> (f64, f64) {
    let (mut nn, mut dd) = ([0.0f64; 4], [0.0f64; 4]);
    let (tc, rc) = (t.chunks_exact(4), r.chunks_exact(4));
    let (tail_t, tail_r) = (tc.remainder(), rc.remainder());
    for (a, b) in tc.zip(rc) {
        for j in 0..4 {
            nn[j] += a[j] * a[j];
            dd[j] += a[j] * b[j];
        }
    }
    let tail: (f64, f64) = tail_t
        .iter()
        .zip(tail_r)
        .fold((0.0, 0.0), |(n, d), (a, b)| (n + a * a, d + a * b));
    (
        nn.iter().sum::<f64>() + tail.0,
        dd.iter().sum::<f64>() + tail.1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn new_validates() {
        let e2 = |v: Vec<f64>| DVector::from_vec(v);
        assert_eq!(
            VonMisesFisherRng::new(e2(vec![1.0]), 1.0).expect_err("m = 1"),
            ManifoldError::InvalidDimension {
                what: "VonMisesFisherRng",
                min: 2,
                got: 1
            }
        );
        assert_eq!(
            VonMisesFisherRng::new(e2(vec![1.0, 0.0]), -0.5).expect_err("κ < 0"),
            ManifoldError::InvalidConcentration(-0.5)
        );
        assert_eq!(
            VonMisesFisherRng::new(e2(vec![0.0, 0.0]), 1.0).expect_err("μ = 0"),
            ManifoldError::InvalidMeanDirection(0.0)
        );
        for mu in [
            vec![f64::NAN, 1.0],
            vec![1.0, f64::NAN],
            vec![f64::INFINITY, 0.0],
        ] {
            let got = VonMisesFisherRng::new(e2(mu), 1.0);
            assert!(matches!(got, Err(ManifoldError::InvalidMeanDirection(v)) if !v.is_finite()));
        }
    }

    #[test]
    fn pole_and_antipole_are_exact() {
        // At μ = ±e₁ with κ huge every sample is μ to rounding, with no NaN.
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for sign in [1.0, -1.0] {
            let mu = DVector::from_vec(vec![sign, 0.0, 0.0, 0.0]);
            let vmf = VonMisesFisherRng::new(mu.clone(), 1e12).expect("valid");
            for _ in 0..100 {
                let x = vmf.sample(&mut rng);
                assert!((x - &mu).amax() < 1e-5);
            }
        }
    }
}
