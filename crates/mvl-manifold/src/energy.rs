//! Energies: unnormalised negative log-densities E with q(x) ∝ exp(-E(x)).

use tch::{Tensor, nn};

/// An energy function E on points of a space (ambient or chart coordinates).
///
/// `Debug` is required (so that flows, objectives and training runs can show what they hold)
/// but not `Send`: adapters such as [`crate::ChartEnergy`] borrow another energy, and a
/// borrowed libtorch tensor is not `Send` (`tch::Tensor` is `Send` but not `Sync`), so a
/// `Send` bound would forbid every borrowing energy.
///
/// The density it describes is q(x) ∝ exp(-E(x)) (paper §2, "unnormalized models").
///
/// # Shapes
/// `x`: `[b, n]`; `energy(x)`: `[b]`; `grad(x)`: `[b, n]`.
///
/// # Gradients
/// [`Energy::grad`] must be differentiable with respect to the energy's parameters (it is
/// computed with `create_graph`), because minimum velocity learning differentiates through
/// the sampler step that uses it (paper-spec §2.1). Call it with autograd enabled.
pub trait Energy: std::fmt::Debug {
    /// E(x) for every row of `x`.
    fn energy(&self, x: &Tensor) -> Tensor;

    /// ∇ₓE(x) for every row of `x`. The default uses autograd; closed forms may override it
    /// (checked by `testing::check_energy`, feature `testing`).
    fn grad(&self, x: &Tensor) -> Tensor {
        self.energy_and_grad(x).1
    }

    /// (E(x), ∇ₓE(x)) with one forward and one backward pass.
    fn energy_and_grad(&self, x: &Tensor) -> (Tensor, Tensor) {
        autograd_energy_and_grad(self, x)
    }

    /// The width n of the points the energy accepts, when it knows it (`None`, the default:
    /// any width, e.g. a closure or a network). Flows and objectives check their batches
    /// against it and return a typed shape error instead of calling the energy with a batch
    /// it cannot evaluate; an energy that returns `None` and fails on a batch fails as its
    /// own code does.
    fn input_dim(&self) -> Option<i64> {
        None
    }

    /// E(x), ∇ₓE(x) and the Laplacian ΔₓE(x) = tr ∇²ₓE(x) of every row of `x` in one pass,
    /// for energies that have a cheap exact way to it (`None`, the default: no such way).
    ///
    /// Exact score matching (`mvl_objectives::ScoreMatching`) needs ΔE, which autograd gives
    /// at the cost of one backward pass per coordinate; an energy that can propagate second
    /// derivatives forward (e.g. [`crate::MlpEnergy`]'s forward Laplacian) returns them here,
    /// and callers fall back to autograd on `None`. Like [`Energy::grad`], all three tensors
    /// must be differentiable with respect to the energy's parameters.
    fn laplacian(&self, x: &Tensor) -> Option<EnergyLaplacian> {
        let _ = x;
        None
    }
}

/// E(x), ∇ₓE(x) and ΔₓE(x) = tr ∇²ₓE(x) at a batch of points ([`Energy::laplacian`]).
///
/// # Shapes
/// For `x` of shape `[b, n]`: `energy` `[b]`, `grad` `[b, n]`, `laplacian` `[b]`.
#[derive(Debug)]
pub struct EnergyLaplacian {
    /// E(x).
    pub energy: Tensor,
    /// ∇ₓE(x).
    pub grad: Tensor,
    /// ΔₓE(x) = Σⱼ ∂²E/∂xⱼ².
    pub laplacian: Tensor,
}

/// (E(x), ∇ₓE(x)) by autograd, keeping the graph (`create_graph`) so that the gradient can be
/// differentiated again. `x` need not require gradients; a leaf copy is made when it does not.
pub fn autograd_energy_and_grad<E: Energy + ?Sized>(e: &E, x: &Tensor) -> (Tensor, Tensor) {
    let x = differentiable(x);
    let value = e.energy(&x);
    let grad = grad_of_sum(&value, &x);
    (value, grad)
}

/// `x` itself when it already requires gradients, otherwise a detached copy that does.
pub fn differentiable(x: &Tensor) -> Tensor {
    if x.requires_grad() {
        x.shallow_clone()
    } else {
        x.detach().set_requires_grad(true)
    }
}

/// ∂(Σ out)/∂x with `create_graph`, zeros when `out` does not depend on `x`.
pub fn grad_of_sum(out: &Tensor, x: &Tensor) -> Tensor {
    if !out.requires_grad() {
        return x.zeros_like();
    }
    let total = out.sum(out.kind());
    let mut grads = Tensor::run_backward(&[total], &[x], true, true);
    // An output that does not depend on `x` (but on parameters) gives an undefined tensor.
    match grads.pop() {
        Some(g) if g.defined() => g,
        _ => x.zeros_like(),
    }
}

/// An energy given by a closure, gradients by autograd.
///
/// ```
/// use mvl_manifold::{Energy, FnEnergy};
/// use tch::{Kind, Tensor};
/// let quad = FnEnergy::new(|x: &Tensor| x.square().sum_dim_intlist(-1, false, Kind::Double) / 2.0);
/// let x = Tensor::from_slice(&[1.0f64, 2.0]).view([1, 2]);
/// let g = quad.grad(&x);
/// assert!((g - &x).abs().max().double_value(&[]) < 1e-12);
/// ```
pub struct FnEnergy<F>(F);

impl<F> std::fmt::Debug for FnEnergy<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnEnergy(<closure>)")
    }
}

impl<F: Fn(&Tensor) -> Tensor> FnEnergy<F> {
    /// Wraps `f`, which maps `[b, n]` to `[b]`.
    pub fn new(f: F) -> Self {
        Self(f)
    }
}

impl<F: Fn(&Tensor) -> Tensor> Energy for FnEnergy<F> {
    fn energy(&self, x: &Tensor) -> Tensor {
        (self.0)(x)
    }
}

/// The energy of a network with a single output: E(x) = net(x)[:, 0].
#[derive(Debug)]
pub struct ModuleEnergy<M>(pub M);

impl<M: nn::Module> Energy for ModuleEnergy<M> {
    fn energy(&self, x: &Tensor) -> Tensor {
        self.0.forward(x).squeeze_dim(-1)
    }
}

/// The conservative energy of the paper's networks: E(x) = ⟨x, ψ(x)⟩ for a network ψ with as
/// many outputs as inputs (paper §5, "E(z) = zᵀψ(z)"; paper-spec §3.4).
#[derive(Debug)]
pub struct InnerProductEnergy<M>(pub M);

impl<M: nn::Module> Energy for InnerProductEnergy<M> {
    fn energy(&self, x: &Tensor) -> Tensor {
        (x * self.0.forward(x)).sum_dim_intlist(-1, false, x.kind())
    }
}

/// The isotropic Gaussian energy E(x) = |x - m|²/(2σ²), with its closed-form gradient.
#[derive(Debug)]
pub struct GaussianEnergy {
    mean: Tensor,
    inv_var: f64,
}

impl GaussianEnergy {
    /// Mean `mean` (`[n]`, n ≥ 1, finite entries, broadcast over rows; an integer mean is
    /// converted to f64) and standard deviation `std` (finite, > 0, with 1/std² finite).
    ///
    /// Errors: `ShapeMismatch` for a mean that is not `[n]` with n ≥ 1, `InvalidArgument`
    /// naming `mean` (its first non-finite entry) or `std`.
    pub fn new(mean: &Tensor, std: f64) -> crate::Result<Self> {
        let inv_var = 1.0 / (std * std);
        if !(std.is_finite() && std > 0.0 && inv_var.is_finite()) {
            return Err(crate::ManifoldError::InvalidArgument {
                name: "std",
                value: std,
                reason: "must be finite and > 0, with 1/std² finite",
            });
        }
        let size = mean.size();
        if size.len() != 1 || size[0] < 1 {
            return Err(crate::ManifoldError::ShapeMismatch {
                what: "GaussianEnergy mean",
                expected: "[n], n >= 1".to_owned(),
                got: size,
            });
        }
        let mean = mean.to_kind(crate::distribution::floating_kind(mean));
        let entries = crate::von_mises_fisher::host_values(&mean);
        if let Some(&bad) = entries.iter().find(|v| !v.is_finite()) {
            return Err(crate::ManifoldError::InvalidArgument {
                name: "mean",
                value: bad,
                reason: "entries must be finite",
            });
        }
        Ok(Self { mean, inv_var })
    }
}

impl Energy for GaussianEnergy {
    fn energy(&self, x: &Tensor) -> Tensor {
        (x - &self.mean)
            .square()
            .sum_dim_intlist(-1, false, x.kind())
            * (self.inv_var / 2.0)
    }

    fn grad(&self, x: &Tensor) -> Tensor {
        (x - &self.mean) * self.inv_var
    }

    fn energy_and_grad(&self, x: &Tensor) -> (Tensor, Tensor) {
        (self.energy(x), self.grad(x))
    }

    fn input_dim(&self) -> Option<i64> {
        Some(self.mean.size()[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    /// An energy that depends on a parameter but not on the points has gradient zero (autograd
    /// reports an undefined gradient for the unused input, not an error).
    #[test]
    fn gradient_of_an_energy_that_ignores_its_input_is_zero() {
        let theta = Tensor::from(2.0f64).set_requires_grad(true);
        let e = FnEnergy::new(|x: &Tensor| {
            Tensor::ones([x.size()[0]], (Kind::Double, Device::Cpu)) * &theta
        });
        let x = Tensor::randn([3, 2], (Kind::Double, Device::Cpu));
        let g = e.grad(&x);
        assert_eq!(g.size(), vec![3, 2]);
        assert_eq!(g.abs().sum(Kind::Double).double_value(&[]), 0.0);
    }
}
