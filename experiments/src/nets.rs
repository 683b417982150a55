//! The energy networks of the experiments, with TensorFlow's default initialisation
//! (Glorot-uniform kernels, zero biases; paper-spec §9.1), as the authors' code used.

use mvl_manifold::{Energy, InnerProductEnergy, MlpInit};
use tch::Tensor;
use tch::nn;

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// tanh (the paper's energy networks).
    Tanh,
    /// softplus.
    Softplus,
}

/// A Glorot-uniform, zero-bias linear layer: weights U(−l, l), l = √(6/(fan_in + fan_out))
/// ([`MlpInit::Glorot`], which `mvl_manifold::MlpEnergy` uses too).
pub fn glorot_linear(path: nn::Path, fan_in: i64, fan_out: i64) -> nn::Linear {
    let config = MlpInit::Glorot.linear_config(fan_in, fan_out);
    nn::linear(path, fan_in, fan_out, config)
}

/// An MLP with the given layer widths (`widths[0]` inputs, last entry outputs), activation
/// after every layer but the last.
pub fn mlp(path: &nn::Path, widths: &[i64], act: Activation) -> nn::Sequential {
    let mut seq = nn::seq();
    let layers = widths.len().saturating_sub(1);
    for (i, pair) in widths.windows(2).enumerate() {
        seq = seq.add(glorot_linear(path / format!("layer{i}"), pair[0], pair[1]));
        if i + 1 < layers {
            seq = match act {
                Activation::Tanh => seq.add_fn(|x| x.tanh()),
                Activation::Softplus => seq.add_fn(|x| x.softplus()),
            };
        }
    }
    seq
}

/// The paper's conservative energy E(y) = ⟨y, ψ(y)⟩ with ψ: dim → hidden… → dim, tanh
/// (paper-spec §3.4: two hidden layers of 100 for the synthetic experiments).
pub fn inner_product_energy(
    path: &nn::Path,
    dim: i64,
    hidden: &[i64],
) -> InnerProductEnergy<nn::Sequential> {
    let mut widths = vec![dim];
    widths.extend_from_slice(hidden);
    widths.push(dim);
    InnerProductEnergy(mlp(path, &widths, Activation::Tanh))
}

/// An energy of transformed inputs, E(y) = inner(f(y)), for example the paper's network on
/// coordinates that suit the manifold better than the ambient ones.
pub struct FeatureEnergy<F, E> {
    /// The feature map f: `[b, n]` → `[b, m]`.
    pub features: F,
    /// The energy of the features.
    pub inner: E,
}

impl<F, E: std::fmt::Debug> std::fmt::Debug for FeatureEnergy<F, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeatureEnergy")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<F: Fn(&Tensor) -> Tensor, E: Energy> Energy for FeatureEnergy<F, E> {
    fn energy(&self, y: &Tensor) -> Tensor {
        self.inner.energy(&(self.features)(y))
    }
}

/// The logarithm map at the origin of the Poincaré ball, u = 2 artanh(|y|) y/|y| (so
/// |u| = d(0, y)): coordinates in which energies that grow with the hyperbolic distance are
/// easy for a tanh network, whereas on the ball itself they blow up at the boundary.
pub fn poincare_log0(y: &Tensor) -> Tensor {
    let r = y.square().sum_dim_intlist(-1, true, y.kind()).sqrt();
    // artanh(r)/r → 1 as r → 0; evaluate it away from 0 and use the limit below 1e-6.
    let small = r.lt(1e-6);
    let safe = r.where_scalarother(&small.logical_not(), 0.5);
    let ratio = (safe.arctanh() / &safe).where_scalarother(&small.logical_not(), 1.0);
    y * ratio * 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use mvl_manifold::Energy;
    use tch::{Device, Kind, Tensor};

    #[test]
    fn glorot_limits_and_zero_bias() {
        let vs = nn::VarStore::new(Device::Cpu);
        let e = inner_product_energy(&vs.root(), 3, &[100, 100]);
        let vars = vs.variables();
        let w = &vars["layer1.weight"];
        let limit = (6.0f64 / 200.0).sqrt();
        assert!(w.abs().max().double_value(&[]) <= limit);
        assert!(w.abs().max().double_value(&[]) > 0.9 * limit);
        assert_eq!(vars["layer0.bias"].abs().max().double_value(&[]), 0.0);
        let y = Tensor::randn([5, 3], (Kind::Float, Device::Cpu));
        assert_eq!(e.energy(&y).size(), vec![5]);
    }

    /// `MlpEnergy` with the default spec is `reference_mlp` in `ModuleEnergy`: the same seed
    /// gives the same weights and the same energies.
    #[test]
    fn mlp_energy_is_a_drop_in_for_the_reference_mlp() {
        use mvl_manifold::{MlpEnergy, MlpSpec, ModuleEnergy};
        let _seed = mvl_manifold::testing::seeded(3);
        let reference_vs = nn::VarStore::new(Device::Cpu);
        let reference = ModuleEnergy(crate::fixtures::reference_mlp(
            &reference_vs.root(),
            3,
            &[16, 16],
        ));
        tch::manual_seed(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let explicit = MlpEnergy::new(&vs.root(), 3, &MlpSpec::new(&[16, 16])).expect("valid");
        let y = Tensor::randn([7, 3], (Kind::Float, Device::Cpu));
        let same = |a: &Tensor, b: &Tensor| (a - b).abs().max().double_value(&[]) == 0.0;
        assert!(same(&explicit.energy(&y), &reference.energy(&y)));
        let grad = explicit.grad(&y);
        assert!((grad - reference.grad(&y)).abs().max().double_value(&[]) < 1e-6);
    }

    #[test]
    fn log0_has_the_hyperbolic_distance_as_norm() {
        let ball = mvl_manifold::PoincareBall::new(2).expect("valid");
        let y = Tensor::from_slice(&[0.0f64, 0.0, 0.3, -0.4, 1e-9, 0.0]).view([3, 2]);
        let u = poincare_log0(&y);
        // The distance formula (arcosh) is inaccurate for tiny distances: check rows 0 and 1
        // against it and row 2 against the limit u = 2y.
        let d = ball.dist(&y.zeros_like(), &y).narrow(0, 0, 2);
        let norm = u
            .square()
            .sum_dim_intlist(-1, false, Kind::Double)
            .sqrt()
            .narrow(0, 0, 2);
        assert!((norm - d).abs().max().double_value(&[]) < 1e-12);
        assert!((u.get(2) - y.get(2) * 2.0).abs().max().double_value(&[]) < 1e-20);
    }
}
