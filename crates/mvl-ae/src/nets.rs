//! Dense networks initialised as TensorFlow 1 initialises them (paper-spec §9.1): Glorot
//! (Xavier) uniform kernels, limit √(6/(fan_in + fan_out)) (Glorot & Bengio 2010, eq. 16),
//! and zero biases. tch's `nn::linear` differs in both.

use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

/// The activation of the hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// tanh (the implicit models, paper-spec §4.2).
    Tanh,
    /// max(0, x) (the explicit baselines, paper-spec §4.5).
    Relu,
}

impl Activation {
    /// The activation applied to `x`.
    pub fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Self::Tanh => x.tanh(),
            Self::Relu => x.relu(),
        }
    }
}

/// A dense layer y = x W + b with a Glorot-uniform kernel W `[in, out]` and a zero bias.
#[derive(Debug)]
pub struct Dense {
    kernel: Tensor,
    bias: Tensor,
}

impl Dense {
    /// A layer from `input` to `output` units with variables `kernel` and `bias` under
    /// `path` (kind and device of its store).
    pub fn new(path: &nn::Path, input: i64, output: i64) -> Self {
        let limit = (6.0 / (input + output) as f64).sqrt();
        let init = nn::Init::Uniform {
            lo: -limit,
            up: limit,
        };
        Self {
            kernel: path.var("kernel", &[input, output], init),
            bias: path.zeros("bias", &[output]),
        }
    }

    /// The output `[b, out]` for inputs `[b, in]` (converted to the layer's kind and device,
    /// so that e.g. f64 data feeds an f32 network).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let x = x
            .to_device(self.kernel.device())
            .to_kind(self.kernel.kind());
        x.matmul(&self.kernel) + &self.bias
    }
}

/// A multilayer perceptron: dense layers of the given widths, the activation after every
/// layer but the last (or after every layer, [`Mlp::activated`]).
#[derive(Debug)]
pub struct Mlp {
    layers: Vec<Dense>,
    activation: Activation,
    activate_last: bool,
}

impl Mlp {
    /// Layers `widths[0] → widths[1] → … → widths[k]` named `fc1`, `fc2`, … under `path`
    /// (the authors' layer names); the last layer is linear. `widths` needs ≥ 2 entries.
    pub fn new(path: &nn::Path, widths: &[i64], activation: Activation) -> Self {
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(k, w)| Dense::new(&(path / format!("fc{}", k + 1)), w[0], w[1]))
            .collect();
        Self {
            layers,
            activation,
            activate_last: false,
        }
    }

    /// The same network with the activation after the last layer too (a trunk feeding
    /// several heads).
    pub fn activated(mut self) -> Self {
        self.activate_last = true;
        self
    }

    /// The output `[b, widths[k]]` for inputs `[b, widths[0]]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let last = self.layers.len().saturating_sub(1);
        let mut h = x.shallow_clone();
        for (k, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
            if k < last || self.activate_last {
                h = self.activation.apply(&h);
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn glorot_uniform_kernels_and_zero_biases() {
        let _seed = mvl_manifold::testing::seeded(1);
        let vs = nn::VarStore::new(Device::Cpu);
        let _ = Mlp::new(&vs.root(), &[784, 256, 10], Activation::Tanh);
        let vars = vs.variables();
        let k1 = &vars["fc1.kernel"];
        let limit = (6.0f64 / (784.0 + 256.0)).sqrt();
        assert_eq!(k1.size(), vec![784, 256]);
        let (lo, hi) = (k1.min().double_value(&[]), k1.max().double_value(&[]));
        // 200 704 draws: the extremes lie within 0.1 % of the limits with certainty 1 − 1e-80.
        assert!(hi <= limit && hi > 0.999 * limit, "{hi} vs {limit}");
        assert!(lo >= -limit && lo < -0.999 * limit, "{lo} vs {limit}");
        // Variance of U(−l, l) is l²/3 = 2/(fan_in + fan_out); 200 704 draws give a relative
        // standard error of √(0.8/200704) ≈ 0.2 %: 2 % is 10 standard errors.
        let var = k1.to_kind(Kind::Double).var(false).double_value(&[]);
        assert!((var / (limit * limit / 3.0) - 1.0).abs() < 0.02, "{var}");
        assert_eq!(vars["fc2.kernel"].size(), vec![256, 10]);
        for b in ["fc1.bias", "fc2.bias"] {
            assert_eq!(vars[b].abs().max().double_value(&[]), 0.0);
        }
    }

    #[test]
    fn activation_after_hidden_layers_only_unless_asked() {
        let mut vs = nn::VarStore::new(Device::Cpu);
        vs.set_kind(Kind::Double);
        let net = Mlp::new(&vs.root(), &[2, 3, 2], Activation::Relu);
        tch::no_grad(|| {
            for (_, mut v) in vs.variables() {
                let _ = v.fill_(-1.0);
            }
        });
        let x = Tensor::from_slice(&[1.0f64, 1.0]).view([1, 2]);
        // Hidden: relu(−2 − 1) = 0, output: 0 − 1 = −1 (linear), activated: relu(−1) = 0.
        assert_eq!(
            Vec::<f64>::try_from(net.forward(&x).view([-1])).expect("f64"),
            [-1.0, -1.0]
        );
        let net = net.activated();
        assert_eq!(
            net.forward(&x).abs().sum(Kind::Double).double_value(&[]),
            0.0
        );
    }
}
