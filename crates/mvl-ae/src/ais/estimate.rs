//! From AIS log-weights to log-likelihood estimates with standard errors.

use super::error::{AisError, Result};
use tch::{Device, Kind, Tensor};

/// The AIS estimate for one image: log p̂(x) = log-mean-exp of its chains' log-weights
/// (paper-spec §4.6).
///
/// p̂(x) is unbiased for p(x), so log p̂(x) is a stochastic lower bound: E log p̂ ≤ log p, with
/// a gap of about `std_error`²/2 for small errors (Jensen; delta method).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageEstimate {
    /// log p̂(x) = log((1/C) Σ_c exp w_c) over the C chains.
    pub log_likelihood: f64,
    /// The delta-method standard error of log p̂: the standard error of the mean weight
    /// relative to the mean, √((C·Σ_c p_c² − 1)/(C − 1)) with the normalised weights
    /// p_c = exp w_c / Σ exp w. It is itself estimated from the C chains, so it is too small
    /// when a rare, heavy weight was not drawn.
    pub std_error: f64,
    /// The effective sample size 1/Σ_c p_c² of the chains (between 1 and C).
    pub effective_sample_size: f64,
}

/// Per-image estimates from log-weights `[chains, images]` (any kind and device; computed in
/// f64). Needs at least 2 chains (checked by [`super::Ais`]).
pub(crate) fn per_image(log_weights: &Tensor) -> Vec<ImageEstimate> {
    let w = log_weights.to_kind(Kind::Double).to_device(Device::Cpu);
    let c = w.size()[0] as f64;
    let lme = w.logsumexp([0], false) - c.ln();
    let p = w.softmax(0, Kind::Double);
    let sum_p2 = p.square().sum_dim_intlist(0, false, Kind::Double);
    let se = ((&sum_p2 * c - 1.0).clamp_min(0.0) / (c - 1.0)).sqrt();
    let host = |t: &Tensor| Vec::<f64>::try_from(t).expect("invariant: a [images] f64 CPU tensor");
    let (lme, se, sum_p2) = (host(&lme), host(&se), host(&sum_p2));
    (0..lme.len())
        .map(|i| ImageEstimate {
            log_likelihood: lme[i],
            std_error: se[i],
            effective_sample_size: 1.0 / sum_p2[i],
        })
        .collect()
}

/// The dataset value: the mean of the images' log p̂(x) (the negative of the test NLL,
/// paper-spec §4.6), with two standard errors.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DatasetEstimate {
    /// The number of images.
    pub images: usize,
    /// (1/N) Σᵢ log p̂(xᵢ), nats.
    pub mean: f64,
    /// The standard error over images, s/√N with s the sample standard deviation of the
    /// log p̂(xᵢ): the uncertainty of the mean as an estimate for the image population (it
    /// includes the AIS noise). `None` for a single image.
    pub std_error: Option<f64>,
    /// The AIS estimator's own error of the mean for these images, √(Σᵢ seᵢ²)/N.
    pub ais_std_error: f64,
}

impl DatasetEstimate {
    /// Summarises per-image estimates, e.g. those of several batches concatenated.
    ///
    /// Errors: [`AisError::InvalidSetting`] for no images.
    pub fn from_images(images: &[ImageEstimate]) -> Result<Self> {
        let n = images.len();
        if n == 0 {
            return Err(AisError::InvalidSetting {
                name: "images",
                value: 0.0,
                reason: "a dataset estimate needs at least one image",
            });
        }
        let nf = n as f64;
        let mean = images.iter().map(|e| e.log_likelihood).sum::<f64>() / nf;
        let std_error = (n > 1).then(|| {
            let ss: f64 = images
                .iter()
                .map(|e| (e.log_likelihood - mean).powi(2))
                .sum();
            (ss / (nf - 1.0) / nf).sqrt()
        });
        let ais_var: f64 = images.iter().map(|e| e.std_error.powi(2)).sum();
        Ok(Self {
            images: n,
            mean,
            std_error,
            ais_std_error: ais_var.sqrt() / nf,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed cases: equal weights (ESS = C, no error), one dominant weight (ESS → 1,
    /// s.e. → 1), and two chains with weights 0 and ln 3: log p̂ = ln 2, p = (¼, ¾),
    /// Σp² = 5/8, s.e. = √((2·5/8 − 1)/1) = ½ — the relative s.e. of the mean of (1, 3),
    /// whose standard deviation is √2 and mean 2: √2/√2/2 = ½.
    #[test]
    fn per_image_values_by_hand() {
        let w =
            Tensor::from_slice(&[5.0f64, 1e3, 5.0, 0.0, 5.0, 0.0, 5.0, 0.0, 5.0, 0.0]).view([5, 2]);
        let est = per_image(&w);
        assert!((est[0].log_likelihood - 5.0).abs() < 1e-12 && est[0].std_error < 1e-7);
        assert!((est[0].effective_sample_size - 5.0).abs() < 1e-12);
        assert!((est[1].log_likelihood - (1e3 - 5f64.ln())).abs() < 1e-9);
        assert!((est[1].std_error - 1.0).abs() < 1e-9 && est[1].effective_sample_size < 1.0001);
        let two = Tensor::from_slice(&[0.0f64, 3f64.ln()])
            .view([2, 1])
            .to_kind(Kind::Float);
        let e = per_image(&two)[0];
        assert!((e.log_likelihood - 2f64.ln()).abs() < 1e-6 && (e.std_error - 0.5).abs() < 1e-6);
        assert!((e.effective_sample_size - 1.6).abs() < 1e-6);
    }

    #[test]
    fn dataset_summary() {
        let im = |l: f64, s: f64| ImageEstimate {
            log_likelihood: l,
            std_error: s,
            effective_sample_size: 1.0,
        };
        let d = DatasetEstimate::from_images(&[im(-1.0, 0.3), im(-3.0, 0.4)]).expect("two");
        assert_eq!((d.images, d.mean), (2, -2.0));
        // s = √2, s/√2 = 1; √(0.09 + 0.16)/2 = 0.25.
        assert!((d.std_error.expect("two images") - 1.0).abs() < 1e-12);
        assert!((d.ais_std_error - 0.25).abs() < 1e-12);
        let one = DatasetEstimate::from_images(&[im(-1.0, 0.3)]).expect("one");
        assert_eq!((one.std_error, one.ais_std_error), (None, 0.3));
        assert!(matches!(
            DatasetEstimate::from_images(&[]),
            Err(AisError::InvalidSetting { name: "images", .. })
        ));
    }
}
