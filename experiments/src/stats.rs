//! Streaming moments and the normal-distribution helpers of the experiments' tests.

use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

/// Count, mean and sum of squared deviations, merged chunk by chunk (Chan et al. 1979),
/// which stays accurate when the mean is large compared with the spread.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Moments {
    /// Number of values.
    pub n: f64,
    /// Their mean.
    pub mean: f64,
    /// Σ (v − mean)².
    pub m2: f64,
}

impl Moments {
    /// Adds the values of a 1-D tensor.
    pub fn add(&mut self, values: &Tensor) {
        let v = values.detach().to_kind(Kind::Double);
        let n = v.size()[0] as f64;
        if n == 0.0 {
            return;
        }
        let mean = v.mean(Kind::Double).double_value(&[]);
        let m2 = (v - mean).square().sum(Kind::Double).double_value(&[]);
        let total = self.n + n;
        let delta = mean - self.mean;
        self.mean += delta * n / total;
        self.m2 += m2 + delta * delta * self.n * n / total;
        self.n = total;
    }

    /// The unbiased sample variance.
    pub fn variance(&self) -> f64 {
        self.m2 / (self.n - 1.0)
    }

    /// The standard error of the mean.
    pub fn standard_error(&self) -> f64 {
        (self.variance() / self.n).sqrt()
    }
}

/// The standard normal CDF Φ(z), via erfc (relative accuracy ~1e-15 from libm's erfc).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm_erfc(-z / std::f64::consts::SQRT_2)
}

/// The two-sided p-value of a z statistic.
pub fn two_sided_p(z: f64) -> f64 {
    libm_erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// erfc through libtorch (f64), which uses the C library's erfc.
fn libm_erfc(x: f64) -> f64 {
    Tensor::from(x).erfc().double_value(&[])
}

/// The mean and the sample standard deviation (n − 1 denominator; 0 for one value) of
/// `values`; NaN mean for none.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn merged_moments_match_direct() {
        let _seed = mvl_manifold::testing::seeded(1);
        let v = Tensor::randn([1000], (Kind::Double, Device::Cpu)) * 3.0 + 1e6;
        let mut m = Moments::default();
        for chunk in v.split(137, 0) {
            m.add(&chunk);
        }
        assert!((m.mean - v.mean(Kind::Double).double_value(&[])).abs() < 1e-8);
        assert!((m.variance() / v.var(true).double_value(&[]) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn normal_tail_values() {
        assert!((normal_cdf(1.959963984540054) - 0.975).abs() < 1e-12);
        assert!((two_sided_p(0.7063) - 0.48).abs() < 1e-3); // the paper's MVL p-value
        assert!((two_sided_p(0.0) - 1.0).abs() < 1e-15);
    }
}
