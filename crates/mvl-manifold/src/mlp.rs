//! Multilayer-perceptron energies with explicit input derivatives: ∇ₓE by a hand-written
//! backward chain and ΔₓE by a forward Laplacian, both plain tensor expressions of the weights.

mod fused;
mod gram;
mod laplacian;
#[cfg(test)]
mod tests;

use crate::energy::{Energy, EnergyLaplacian};
use crate::error::{ManifoldError, Result};
use crate::metric::row_dot;
use tch::Tensor;
use tch::nn::{self, Init, LinearConfig, Module};

/// The activation of the hidden layers of an [`MlpEnergy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// tanh, with σ' = 1 − σ² and σ'' = −2σσ'.
    Tanh,
    /// libtorch's softplus log(1 + eᵃ) (β = 1), which returns a itself above its threshold
    /// a > 20: σ' = sigmoid(a) and σ'' = σ'(1 − σ') below it, 1 and 0 above, the derivatives
    /// of the function libtorch evaluates (and those its autograd uses).
    Softplus,
    /// The logistic sigmoid, with σ' = σ(1 − σ) and σ'' = σ'(1 − 2σ).
    Sigmoid,
}

/// Above this pre-activation libtorch's softplus is the identity (its default threshold).
const SOFTPLUS_THRESHOLD: f64 = 20.0;

/// True for the kinds narrower than f64, where sigmoid(a) rounds to exactly 1 (and
/// sigmoid·(1 − sigmoid) to 0) beyond the softplus threshold, as 1 − sigmoid(20) ≈ 2.1e-9 is
/// below half their unit roundoff: there the threshold's `where` changes no value and its
/// two extra operations per layer are skipped.
fn below_float_precision(a: &Tensor) -> bool {
    a.kind() != tch::Kind::Double
}

impl Activation {
    /// σ(a), elementwise.
    pub fn apply(self, a: &Tensor) -> Tensor {
        match self {
            Activation::Tanh => a.tanh(),
            Activation::Softplus => a.softplus(),
            Activation::Sigmoid => a.sigmoid(),
        }
    }

    /// σ(a) as the energy evaluates it: [`Activation::apply`], except softplus on the CPU,
    /// which takes the fused kernel (its slope is then at hand for the backward pass).
    fn value(self, a: &Tensor) -> Tensor {
        if self == Activation::Softplus
            && let Some((value, _)) = fused::softplus_with_slope(a)
        {
            return value;
        }
        self.apply(a)
    }

    /// (σ(a), σ'(a)): for softplus on the CPU by the fused kernel, otherwise by
    /// [`Activation::libtorch_with_slope`].
    fn with_slope(self, a: &Tensor) -> (Tensor, Tensor) {
        if self == Activation::Softplus
            && let Some(pair) = fused::softplus_with_slope(a)
        {
            return pair;
        }
        self.libtorch_with_slope(a)
    }

    /// (σ(a), σ'(a)) by libtorch's operations.
    fn libtorch_with_slope(self, a: &Tensor) -> (Tensor, Tensor) {
        let value = self.apply(a);
        let slope = match self {
            Activation::Tanh => -value.square() + 1.0,
            Activation::Softplus if below_float_precision(a) => a.sigmoid(),
            Activation::Softplus => a
                .sigmoid()
                .where_scalarother(&a.le(SOFTPLUS_THRESHOLD), 1.0),
            Activation::Sigmoid => &value * (-&value + 1.0),
        };
        (value, slope)
    }

    /// σ''(a), given σ(a) and σ'(a).
    fn curvature(self, a: &Tensor, value: &Tensor, slope: &Tensor) -> Tensor {
        match self {
            Activation::Tanh => value * slope * -2.0,
            Activation::Softplus if below_float_precision(a) => slope * (-slope + 1.0),
            Activation::Softplus => {
                (slope * (-slope + 1.0)).where_scalarother(&a.le(SOFTPLUS_THRESHOLD), 0.0)
            }
            Activation::Sigmoid => slope * (value * -2.0 + 1.0),
        }
    }
}

/// What an [`MlpEnergy`] makes of its network's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlpForm {
    /// E(x) = MLP(x) with one output (as [`crate::ModuleEnergy`]).
    Scalar,
    /// E(x) = ⟨x, ψ(x)⟩ with ψ an MLP with as many outputs as inputs (as
    /// [`crate::InnerProductEnergy`]; paper §5, "E(z) = zᵀψ(z)").
    InnerProduct,
}

/// How an [`MlpEnergy`] initialises its layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlpInit {
    /// TensorFlow's default, as the authors' code used (paper-spec §9.1): Glorot-uniform
    /// weights U(−l, l), l = √(6/(fan_in + fan_out)) (Glorot & Bengio 2010), zero biases.
    Glorot,
    /// tch's (and PyTorch's `nn.Linear`) default: Kaiming-uniform weights, biases
    /// U(−1/√fan_in, 1/√fan_in).
    Torch,
}

impl MlpInit {
    /// The `tch` configuration of a linear layer fan_in → fan_out with this initialisation.
    pub fn linear_config(self, fan_in: i64, fan_out: i64) -> LinearConfig {
        match self {
            MlpInit::Torch => LinearConfig::default(),
            MlpInit::Glorot => {
                let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
                LinearConfig {
                    ws_init: Init::Uniform {
                        lo: -limit,
                        up: limit,
                    },
                    bs_init: Some(Init::Const(0.0)),
                    bias: true,
                }
            }
        }
    }
}

/// The architecture of an [`MlpEnergy`]: hidden widths, activation, form and initialisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlpSpec {
    hidden: Vec<i64>,
    activation: Activation,
    form: MlpForm,
    init: MlpInit,
}

impl MlpSpec {
    /// Hidden layers of the given widths (none: an affine energy), tanh, the scalar form and
    /// Glorot initialisation (the experiments' `reference_mlp`).
    pub fn new(hidden: &[i64]) -> Self {
        Self {
            hidden: hidden.to_vec(),
            activation: Activation::Tanh,
            form: MlpForm::Scalar,
            init: MlpInit::Glorot,
        }
    }

    /// Sets the hidden layers' activation.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the form of the energy.
    pub fn form(mut self, form: MlpForm) -> Self {
        self.form = form;
        self
    }

    /// Sets the initialisation.
    pub fn init(mut self, init: MlpInit) -> Self {
        self.init = init;
        self
    }
}

/// One hidden layer of a forward pass: aₗ, σ(aₗ) and σ'(aₗ).
struct HiddenTrace {
    pre: Tensor,
    value: Tensor,
    slope: Tensor,
}

/// A forward pass: every hidden layer and the network's output.
struct Trace {
    layers: Vec<HiddenTrace>,
    out: Tensor,
}

/// An MLP energy whose input derivatives are explicit tensor expressions of its weights.
///
/// The network has affine layers aₗ = zₗ₋₁Wₗᵀ + bₗ (z₀ = x) with zₗ = σ(aₗ) after every
/// layer but the last; E is its output ([`MlpForm::Scalar`]) or ⟨x, ψ(x)⟩ with ψ its output
/// ([`MlpForm::InnerProduct`]). Its derivatives do not go through autograd:
///
/// - [`Energy::energy_and_grad`] keeps the forward pass's σ'(aₗ) and runs the backward chain
///   by hand, δₗ₋₁ = (δₗWₗ) ⊙ σ'(aₗ₋₁) from the output's cotangent (1 for the scalar form; x
///   for the inner product, whose gradient is ψ(x) + J_ψ(x)ᵀx), ending with ∇ₓE = δ₁W₁;
/// - [`Energy::laplacian`] propagates (value, Jacobian, Laplacian) forward through the
///   layers, the forward Laplacian of Li et al. 2023 (arXiv:2307.08214): for h = σ(a),
///   a = Wz + b, J_h = σ'(a) ⊙ WJ_z and Δh = σ'(a) ⊙ WΔz + σ''(a) ⊙ rowsum((WJ_z)²) (the
///   chain rule ∂ₖ²h = σ''(a)(∂ₖa)² + σ'(a)∂ₖ²a summed over the input coordinates k), and
///   ΔE = 2 tr J_ψ + ⟨x, Δψ⟩ for the inner product. When the input dimension exceeds the
///   hidden widths it carries the Jacobians' Gram matrices J_zJ_zᵀ (`[b, w, w]`) instead of
///   the Jacobians (`[b, d, w]`), which is exact as well and costs nothing per input
///   dimension (whichever needs fewer multiply-adds is used).
///
/// Both results are ordinary functions of the weights, so the parameter gradient of an
/// objective that uses ∇ₓE (minimum velocity learning's sampler step, DSM, KSD) or ΔₓE
/// (exact score matching) costs one first-order backward pass rather than a double
/// backward through a `create_graph` gradient. They are also differentiable in x when x
/// requires gradients.
///
/// Preconditions (not checked, as for every energy): `x` is `[b, dim]` of the parameters'
/// kind and device. [`Energy::input_dim`] declares `dim`.
///
/// ```
/// use mvl_manifold::{Activation, Energy, MlpEnergy, MlpForm, MlpSpec};
/// use mvl_manifold::autograd_energy_and_grad;
/// use tch::{Device, Kind, Tensor, nn};
///
/// let mut vs = nn::VarStore::new(Device::Cpu);
/// vs.set_kind(Kind::Double);
/// let spec = MlpSpec::new(&[16, 16])
///     .activation(Activation::Softplus)
///     .form(MlpForm::InnerProduct);
/// let energy = MlpEnergy::new(&vs.root(), 3, &spec)?;
/// let x = Tensor::randn([5, 3], (Kind::Double, Device::Cpu));
/// let (value, grad) = energy.energy_and_grad(&x);
/// let (_, by_autograd) = autograd_energy_and_grad(&energy, &x);
/// assert!((grad - by_autograd).abs().max().double_value(&[]) < 1e-12);
/// let second = energy.laplacian(&x).expect("an MLP has a forward Laplacian");
/// assert_eq!(second.laplacian.size(), vec![5]);
/// assert_eq!(value.size(), vec![5]);
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
#[derive(Debug)]
pub struct MlpEnergy {
    /// The hidden layers, in order.
    hidden: Vec<nn::Linear>,
    /// The last (output) layer.
    output: nn::Linear,
    activation: Activation,
    form: MlpForm,
    dim: i64,
}

impl MlpEnergy {
    /// The energy on R^`dim` with the architecture `spec`, in the kind and on the device of
    /// `path`'s variable store. Its layers are `layer0`, `layer1`, … under `path`, created in
    /// order by `tch::nn::linear` (as the experiments' `nets::mlp` creates them, so that the
    /// same seed gives the same weights).
    ///
    /// Errors: `InvalidDimension` for `dim` < 1 or a hidden width < 1.
    pub fn new(path: &nn::Path, dim: i64, spec: &MlpSpec) -> Result<Self> {
        let positive = |what, got| {
            if got < 1 {
                Err(ManifoldError::InvalidDimension { what, min: 1, got })
            } else {
                Ok(())
            }
        };
        positive("MlpEnergy input dimension", dim)?;
        for &width in &spec.hidden {
            positive("MlpEnergy hidden width", width)?;
        }
        let layer = |i: usize, fan_in: i64, fan_out: i64| {
            let config = spec.init.linear_config(fan_in, fan_out);
            nn::linear(path / format!("layer{i}"), fan_in, fan_out, config)
        };
        let mut fan_in = dim;
        let mut hidden = Vec::with_capacity(spec.hidden.len());
        for (i, &width) in spec.hidden.iter().enumerate() {
            hidden.push(layer(i, fan_in, width));
            fan_in = width;
        }
        let out = match spec.form {
            MlpForm::Scalar => 1,
            MlpForm::InnerProduct => dim,
        };
        Ok(Self {
            output: layer(spec.hidden.len(), fan_in, out),
            hidden,
            activation: spec.activation,
            form: spec.form,
            dim,
        })
    }

    /// The network's output ψ(x) (`[b, 1]` or `[b, dim]`).
    pub fn network(&self, x: &Tensor) -> Tensor {
        let z = self.hidden.iter().fold(x.shallow_clone(), |z, layer| {
            self.activation.value(&layer.forward(&z))
        });
        self.output.forward(&z)
    }

    /// The forward pass at `x`, keeping what the derivatives need.
    fn trace(&self, x: &Tensor) -> Trace {
        let mut layers = Vec::with_capacity(self.hidden.len());
        let mut z = x.shallow_clone();
        for layer in &self.hidden {
            let pre = layer.forward(&z);
            let (value, slope) = self.activation.with_slope(&pre);
            z = value.shallow_clone();
            layers.push(HiddenTrace { pre, value, slope });
        }
        let out = self.output.forward(&z);
        Trace { layers, out }
    }

    /// ∇ₓE by the backward chain δₗ₋₁ = (δₗWₗ) ⊙ σ'(aₗ₋₁), started from the output's
    /// cotangent ∂E/∂out (1 for the scalar form, x for the inner product, whose gradient is
    /// ψ(x) + J_ψ(x)ᵀx).
    fn input_grad(&self, x: &Tensor, pass: &Trace) -> Tensor {
        let cotangent = match self.form {
            MlpForm::Scalar => pass.out.ones_like(),
            MlpForm::InnerProduct => x.shallow_clone(),
        };
        let mut back = cotangent.matmul(&self.output.ws);
        for (layer, hidden) in self.hidden.iter().zip(&pass.layers).rev() {
            back = (back * &hidden.slope).matmul(&layer.ws);
        }
        match self.form {
            MlpForm::Scalar => back,
            MlpForm::InnerProduct => back + &pass.out,
        }
    }

    /// E from the network's output `out` at `x`.
    fn combine(&self, x: &Tensor, out: &Tensor) -> Tensor {
        match self.form {
            MlpForm::Scalar => out.squeeze_dim(-1),
            MlpForm::InnerProduct => row_dot(x, out),
        }
    }
}

impl Energy for MlpEnergy {
    fn energy(&self, x: &Tensor) -> Tensor {
        self.combine(x, &self.network(x))
    }

    fn energy_and_grad(&self, x: &Tensor) -> (Tensor, Tensor) {
        let pass = self.trace(x);
        let grad = self.input_grad(x, &pass);
        (self.combine(x, &pass.out), grad)
    }

    fn input_dim(&self) -> Option<i64> {
        Some(self.dim)
    }

    fn laplacian(&self, x: &Tensor) -> Option<EnergyLaplacian> {
        let method = laplacian::Method::cheaper(self);
        Some(laplacian::forward_laplacian(self, x, method))
    }
}
