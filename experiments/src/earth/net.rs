//! The energy network of the earth experiments: a scalar MLP on random Fourier features of
//! the point y ∈ S^2 ⊂ R³,
//!
//! E(y) = MLP([y, cos(Wᵀy), sin(Wᵀy)]),  W ∈ R^{3×F}, W_ij ~ N(0, s²) fixed,
//!
//! (Tancik et al. 2020, "Fourier features let networks learn high frequency functions"):
//! a feature cos(wᵀy) varies on the sphere over angles ~1/|w|, so the scale s sets the finest
//! detail the network picks up easily. F = 0 leaves the plain MLP on y. Hidden layers use
//! tanh (smooth, as score matching differentiates twice), with the workspace's Glorot
//! initialisation ([`crate::nets::mlp`]). W is a non-trainable variable of the var store, so
//! it is checkpointed with the weights.

use crate::nets::{Activation, mlp};
use mvl_manifold::Energy;
use serde::Serialize;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// The architecture.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetConfig {
    /// Number F of random frequencies (2F features, plus y itself).
    pub features: i64,
    /// Standard deviation s of the frequencies (radians⁻¹).
    pub scale: f64,
    /// Hidden-layer widths.
    pub hidden: Vec<i64>,
}

/// E(y) = MLP(Fourier features of y).
///
/// # Shapes
/// `y`: `[b, 3]`; energies `[b]`.
#[derive(Debug)]
pub struct FourierEnergy {
    freqs: Tensor,
    mlp: nn::Sequential,
}

impl FourierEnergy {
    /// A fresh network under `path` (frequencies and weights drawn from libtorch's generator).
    pub fn new(path: &nn::Path, config: &NetConfig) -> Self {
        let freqs = path.zeros_no_train("fourier_freqs", &[3, config.features]);
        tch::no_grad(|| {
            let draw =
                Tensor::randn([3, config.features], (Kind::Float, freqs.device())) * config.scale;
            freqs.shallow_clone().copy_(&draw);
        });
        let mut widths = vec![3 + 2 * config.features];
        widths.extend_from_slice(&config.hidden);
        widths.push(1);
        Self {
            freqs,
            mlp: mlp(path, &widths, Activation::Tanh),
        }
    }

    /// The network's input features `[b, 3 + 2F]`.
    pub fn features(&self, y: &Tensor) -> Tensor {
        let phase = y.matmul(&self.freqs.to_kind(y.kind()));
        Tensor::cat(&[y.shallow_clone(), phase.cos(), phase.sin()], 1)
    }
}

impl Energy for FourierEnergy {
    fn energy(&self, y: &Tensor) -> Tensor {
        self.mlp.forward(&self.features(y)).squeeze_dim(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn frequencies_are_fixed_and_scaled() {
        let _seed = mvl_manifold::testing::seeded(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let config = NetConfig {
            features: 2000,
            scale: 8.0,
            hidden: vec![16],
        };
        let e = FourierEnergy::new(&vs.root(), &config);
        assert_eq!(
            vs.trainable_variables().len(),
            4,
            "two linear layers; W is not trained"
        );
        // The sample std of 6000 N(0, 8²) draws is within 8 · (1 ± 0.05) (> 5 standard errors).
        let std = e.freqs.std(true).double_value(&[]);
        assert!((std / 8.0 - 1.0).abs() < 0.05, "{std}");
        let y = Tensor::randn([5, 3], (Kind::Float, Device::Cpu));
        assert_eq!(e.features(&y).size(), vec![5, 4003]);
        assert_eq!(e.energy(&y).size(), vec![5]);
    }
}
