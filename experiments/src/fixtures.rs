//! The data and reference networks that the binaries, the benchmarks (`benches/`) and the
//! cross-crate tests (`tests/`) share, so that a workload has one definition.

use crate::nets::{Activation, mlp};
use tch::{Device, Kind, Tensor, nn};

/// `n` points of the 2-D banana of Figure 1: x₁ ~ N(0, 1), x₂ | x₁ ~ N(x₁² − 1, 1)
/// (Wenliang et al. 2019 with bananicity 1 and σ = 1; paper-spec §3.1), `[n, 2]`.
pub fn banana(n: i64, options: (Kind, Device)) -> Tensor {
    let x1 = Tensor::randn([n], options);
    let x2 = x1.square() - 1.0 + Tensor::randn([n], options);
    Tensor::stack(&[x1, x2], 1)
}

/// The reference scalar energy network d → hidden… → 1 with tanh, TensorFlow's
/// initialisation ([`crate::nets::glorot_linear`]); `E(x)` is its output squeezed to `[b]`
/// (wrap it in `mvl_manifold::ModuleEnergy`).
pub fn reference_mlp(path: &nn::Path, dim: i64, hidden: &[i64]) -> nn::Sequential {
    let mut widths = vec![dim];
    widths.extend_from_slice(hidden);
    widths.push(1);
    mlp(path, &widths, Activation::Tanh)
}
