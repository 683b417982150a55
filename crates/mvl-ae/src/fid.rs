//! The Fréchet distance between two sets of feature vectors (Heusel et al. 2017, "FID"),
//! as the paper's MNIST protocol computes it on the 512-d features of a LeNet classifier
//! (paper-spec §5.5; [`crate::lenet`], [`fid_images`], [`fid_files`]; [`image_stats`] and
//! [`fid_to`] for many sets against one reference).
//!
//! **The authors' LeNet weights could not be fetched** (they were served from the authors'
//! server, paper-spec §0 and §9.4): every FID of this crate uses a LeNet trained here
//! ([`crate::lenet::Lenet::load_or_train`]), so its values are comparable with each other but
//! not with the paper's Table 2 in absolute terms; the classifier's test accuracy is reported
//! with every FID ([`Fid::classifier_accuracy`]).
//!
//! All statistics are in f64. With factors Σ₁ = A₁A₁ᵀ, Σ₂ = A₂A₂ᵀ, the non-zero eigenvalues
//! of Σ₁Σ₂ are those of (A₁ᵀA₂)(A₁ᵀA₂)ᵀ, so tr((Σ₁Σ₂)^{1/2}) is the sum of the singular
//! values of A₁ᵀA₂ (its nuclear norm). Computed by an SVD these are accurate to
//! ε‖A₁ᵀA₂‖ in absolute terms, with no square root of a rounded, nearly zero eigenvalue
//! (which would turn a rounding error of 1e-16 into one of 1e-8); so singular and
//! near-singular covariances (fewer samples than features, dead ReLU features) are handled
//! exactly where SciPy's `sqrtm` of the non-symmetric product (the TTUR code) loses digits.
//! From features, A is the triangular factor of a QR decomposition of the centred features
//! ([`FeatureStats::from_features`]); from covariances alone ([`trace_sqrt_product`]), A is
//! Q diag(√λ⁺) from a symmetric eigendecomposition, eigenvalues clipped at 0, whose accuracy
//! on a singular matrix is limited to about √ε‖Σ‖ by the matrix's own rounding. The spec's
//! fallback, 1e-6 added to both diagonals, is used only when a decomposition fails or gives
//! non-finite values.

mod images;

pub use images::{Fid, fid_files, fid_images, fid_to, image_stats};

use crate::error::{AeError, Result, floating};
use tch::{Kind, Tensor};

/// The jitter ε added to both covariances' diagonals when the square root fails
/// (paper-spec §5.5, §9.3).
pub const SQRTM_JITTER: f64 = 1e-6;

/// The mean and the unbiased covariance of a set of feature vectors, in f64 on the CPU.
#[derive(Debug)]
pub struct FeatureStats {
    mean: Tensor,
    cov: Tensor,
    factor: Tensor,
    count: i64,
}

impl FeatureStats {
    /// The statistics of `features` `[n ≥ 2, d ≥ 1]`: mean `[d]` and covariance `[d, d]` with
    /// the (n − 1) denominator (paper-spec §5.5, NumPy's `np.cov`). Errors:
    /// [`AeError::ShapeMismatch`], [`AeError::UnsupportedKind`], [`AeError::NonFinite`].
    pub fn from_features(features: &Tensor) -> Result<Self> {
        floating("features", features)?;
        let size = features.size();
        if !(size.len() == 2 && size[0] >= 2 && size[1] >= 1) {
            return Err(AeError::ShapeMismatch {
                what: "features",
                expected: "[n ≥ 2, d ≥ 1]".into(),
                got: size,
            });
        }
        let f = features.to_kind(Kind::Double).to_device(tch::Device::Cpu);
        finite("features", &f)?;
        let mean = f.mean_dim(0, false, Kind::Double);
        let centred = &f - mean.unsqueeze(0);
        let scale = ((size[0] - 1) as f64).sqrt();
        // centred = QR, so cov = RᵀR/(n − 1) = AAᵀ with A = Rᵀ/√(n − 1) ([d, min(n, d)]).
        let factor = if size[0] >= size[1] {
            Tensor::linalg_qr(&centred, "r").1.transpose(0, 1) / scale
        } else {
            centred.transpose(0, 1) / scale
        };
        Ok(Self::from_factor(mean, factor, size[0]))
    }

    /// The statistics with mean `[d]` and covariance AAᵀ for the factor A `[d, k]`.
    pub(crate) fn from_factor(mean: Tensor, factor: Tensor, count: i64) -> Self {
        Self {
            cov: factor.matmul(&factor.transpose(0, 1)),
            mean,
            factor,
            count,
        }
    }

    /// The mean `[d]`.
    pub fn mean(&self) -> &Tensor {
        &self.mean
    }

    /// The covariance `[d, d]`.
    pub fn cov(&self) -> &Tensor {
        &self.cov
    }

    /// The number of feature vectors.
    pub fn count(&self) -> i64 {
        self.count
    }
}

/// The Fréchet distance between the Gaussians fitted to two feature sets (Dowson & Landau
/// 1982; Heusel et al. 2017, eq. 6; paper-spec §5.5):
///
/// d² = |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}).
///
/// [`AeError::ShapeMismatch`] when the feature widths differ.
///
/// ```
/// use mvl_ae::fid::{FeatureStats, frechet_distance};
/// use tch::{Device, Kind, Tensor};
/// tch::manual_seed(0);
/// let opts = (Kind::Double, Device::Cpu);
/// let a = FeatureStats::from_features(&Tensor::randn([20_000, 3], opts))?;
/// let b = FeatureStats::from_features(&(Tensor::randn([20_000, 3], opts) * 2.0 + 1.0))?;
/// // N(0, I) vs N(1, 4I) in R³: 3·1² + 3·(1 − 2)² = 6.
/// let d = frechet_distance(&a, &b)?;
/// assert!((d - 6.0).abs() < 0.2, "{d}");
/// # Ok::<(), mvl_ae::AeError>(())
/// ```
pub fn frechet_distance(a: &FeatureStats, b: &FeatureStats) -> Result<f64> {
    if a.mean.size() != b.mean.size() {
        return Err(AeError::ShapeMismatch {
            what: "feature statistics",
            expected: format!("the first set's width {:?}", a.mean.size()),
            got: b.mean.size(),
        });
    }
    let mean_term = (&a.mean - &b.mean)
        .square()
        .sum(Kind::Double)
        .double_value(&[]);
    let traces = (a.cov.trace() + b.cov.trace()).double_value(&[]);
    let cross = nuclear_norm(&a.factor.transpose(0, 1).matmul(&b.factor))?;
    Ok(mean_term + traces - 2.0 * cross)
}

/// The square root of a symmetric positive semi-definite matrix `a` `[d, d]`: Q diag(√λ⁺) Qᵀ
/// from the symmetric eigendecomposition of (a + aᵀ)/2, with negative eigenvalues (rounding
/// of a singular matrix) clipped at 0; in f64. Its entries are accurate to about √ε‖a‖ in
/// the directions of eigenvalues that are zero up to rounding (the square root is not
/// Lipschitz at 0), to ε‖a‖/√λ elsewhere. Errors: [`AeError::ShapeMismatch`] for a
/// non-square matrix, [`AeError::NonFinite`] for non-finite entries or a failed
/// decomposition.
pub fn sqrtm_psd(a: &Tensor) -> Result<Tensor> {
    root(&square_f64("matrix", a)?)
}

/// Q diag(√λ⁺) Qᵀ for a checked square f64 matrix.
fn root(a: &Tensor) -> Result<Tensor> {
    let (values, vectors) = eigh(a)?;
    Ok((&vectors * values.clamp_min(0.0).sqrt().unsqueeze(0)).matmul(&vectors.transpose(0, 1)))
}

/// tr((Σ₁Σ₂)^{1/2}) for symmetric positive semi-definite `s1`, `s2` `[d, d]`: the nuclear
/// norm of A₁ᵀA₂ with Aᵢ = Qᵢ diag(√λᵢ⁺) from their eigendecompositions (module docs). When
/// a decomposition fails or is not finite, 1e-6·I is added to both matrices and the
/// computation repeated once (paper-spec §5.5). Errors as [`sqrtm_psd`], and
/// [`AeError::ShapeMismatch`] when the sizes differ.
pub fn trace_sqrt_product(s1: &Tensor, s2: &Tensor) -> Result<f64> {
    let (s1, s2) = (
        square_f64("covariance 1", s1)?,
        square_f64("covariance 2", s2)?,
    );
    if s1.size() != s2.size() {
        return Err(AeError::ShapeMismatch {
            what: "covariance 2",
            expected: format!("the size of covariance 1, {:?}", s1.size()),
            got: s2.size(),
        });
    }
    let attempt = |s1: &Tensor, s2: &Tensor| -> Result<f64> {
        let r = root(s1)?;
        let (inner, _) = eigh(&r.matmul(s2).matmul(&r))?;
        Ok(inner
            .clamp_min(0.0)
            .sqrt()
            .sum(Kind::Double)
            .double_value(&[]))
    };
    attempt(&s1, &s2).or_else(|_| {
        let jitter = Tensor::eye(s1.size()[0], (Kind::Double, s1.device())) * SQRTM_JITTER;
        attempt(&(&s1 + &jitter), &(&s2 + &jitter))
    })
}

/// The sum of the singular values of `m`; [`AeError::NonFinite`] when the SVD fails.
fn nuclear_norm(m: &Tensor) -> Result<f64> {
    let failed = AeError::NonFinite {
        what: "singular value decomposition",
    };
    let (_, values, _) = m.f_svd(true, false).map_err(|_| failed)?;
    finite("singular value decomposition", &values)?;
    Ok(values.sum(Kind::Double).double_value(&[]))
}

/// The symmetric eigendecomposition of (a + aᵀ)/2 (eigenvalues ascending, eigenvectors as
/// columns); [`AeError::NonFinite`] when LAPACK fails or returns non-finite values.
fn eigh(a: &Tensor) -> Result<(Tensor, Tensor)> {
    let sym = (a + a.transpose(0, 1)) * 0.5;
    let failed = AeError::NonFinite {
        what: "symmetric eigendecomposition",
    };
    let (values, vectors) = sym.f_linalg_eigh("L").map_err(|_| failed)?;
    finite("symmetric eigendecomposition", &values)?;
    finite("symmetric eigendecomposition", &vectors)?;
    Ok((values, vectors))
}

/// `a` as a finite square f64 CPU matrix.
fn square_f64(what: &'static str, a: &Tensor) -> Result<Tensor> {
    floating(what, a)?;
    let size = a.size();
    if !(size.len() == 2 && size[0] == size[1] && size[0] >= 1) {
        return Err(AeError::ShapeMismatch {
            what,
            expected: "a square [d ≥ 1, d] matrix".into(),
            got: size,
        });
    }
    let a = a.to_kind(Kind::Double).to_device(tch::Device::Cpu);
    finite(what, &a)?;
    Ok(a)
}

fn finite(what: &'static str, t: &Tensor) -> Result<()> {
    if t.isfinite().all().int64_value(&[]) == 1 {
        Ok(())
    } else {
        Err(AeError::NonFinite { what })
    }
}

#[cfg(test)]
mod tests;
