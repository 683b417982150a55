//! Shared fixtures of the cross-crate tests: analytic energies with parameters, data, and
//! Monte Carlo summaries.

use mvl_experiments::fixtures::{banana, reference_mlp};
use mvl_manifold::Energy;
use mvl_objectives::{Objective, ObjectiveError};
use tch::{Device, Kind, Tensor, nn, nn::Module};

/// f64 on the CPU.
pub const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// An energy with trainable parameters in a `VarStore`.
#[derive(Debug)]
pub struct ParamEnergy {
    /// The parameters.
    pub vs: nn::VarStore,
    kind: Shape,
}

#[derive(Debug)]
enum Shape {
    /// E = ½|Lx|² with L = [[a, 0], [c, b]].
    Quadratic(Tensor),
    /// E = ½(x₁/s)² + ½(x₂ − β(x₁² − 1))², parameters (s, β).
    Banana(Tensor),
    /// E = MLP(x), dim → 16 → 16 → 1 with tanh.
    Mlp(nn::Sequential),
}

impl ParamEnergy {
    /// The quadratic energy.
    pub fn quadratic() -> Self {
        let mut vs = nn::VarStore::new(Device::Cpu);
        vs.set_kind(Kind::Double);
        let l = vs.root().var_copy(
            "l",
            &Tensor::from_slice(&[1.2f64, 0.0, 0.3, 0.8]).view([2, 2]),
        );
        Self {
            vs,
            kind: Shape::Quadratic(l),
        }
    }

    /// The banana energy.
    pub fn banana() -> Self {
        let mut vs = nn::VarStore::new(Device::Cpu);
        vs.set_kind(Kind::Double);
        let p = vs.root().var_copy("p", &Tensor::from_slice(&[1.1f64, 0.9]));
        Self {
            vs,
            kind: Shape::Banana(p),
        }
    }

    /// A small tanh MLP on R² with weights fixed by `seed`.
    pub fn mlp(seed: i64) -> Self {
        Self::mlp_on(2, seed)
    }

    /// A small tanh MLP on R^dim (2 → 16 → 16 → 1 for dim 2) with weights fixed by `seed`.
    pub fn mlp_on(dim: i64, seed: i64) -> Self {
        tch::manual_seed(seed);
        let mut vs = nn::VarStore::new(Device::Cpu);
        vs.set_kind(Kind::Double);
        let net = reference_mlp(&vs.root(), dim, &[16, 16]);
        vs.double();
        Self {
            vs,
            kind: Shape::Mlp(net),
        }
    }

    /// All parameters' gradients, flattened and concatenated (zeros where none).
    pub fn flat_grad(&self) -> Tensor {
        let vars = self.vs.trainable_variables();
        let parts: Vec<Tensor> = vars
            .iter()
            .map(|v| {
                let g = v.grad();
                if g.defined() {
                    g.flatten(0, -1)
                } else {
                    v.zeros_like().flatten(0, -1)
                }
            })
            .collect();
        Tensor::cat(&parts, 0).detach().copy()
    }

    /// Sets every parameter's gradient to zero.
    pub fn zero_grad(&self) {
        for v in self.vs.trainable_variables() {
            let mut g = v.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
    }
}

impl Energy for ParamEnergy {
    fn energy(&self, x: &Tensor) -> Tensor {
        match &self.kind {
            Shape::Quadratic(l) => {
                x.matmul(&l.transpose(0, 1))
                    .square()
                    .sum_dim_intlist(-1, false, Kind::Double)
                    / 2.0
            }
            Shape::Banana(p) => {
                let (s, beta) = (p.get(0), p.get(1));
                let x1 = x.select(1, 0);
                let x2 = x.select(1, 1);
                (&x1 / &s).square() / 2.0 + (x2 - beta * (x1.square() - 1.0)).square() / 2.0
            }
            Shape::Mlp(net) => net.forward(x).squeeze_dim(-1),
        }
    }
}

/// `n` banana points in f64 on the CPU ([`mvl_experiments::fixtures::banana`]).
pub fn banana_data(n: i64) -> Tensor {
    banana(n, F64)
}

/// Two-sided z bound of the consistency suites (`estimators.rs`: 90 comparisons;
/// `estimators_geometry.rs`: 16). For an unbiased estimator one comparison exceeds 4 SE with
/// probability 6.3e-5, so a whole suite of up to 100 comparisons raises a false alarm with
/// probability under 0.7 % (Bonferroni). A 3-SE bound would alarm on 0.27 % of comparisons,
/// i.e. on about one suite run in four. Power: a bias of 5 SE is caught with probability
/// 0.84, one of 6 SE with probability 0.98.
pub const Z_BOUND: f64 = 4.0;

/// Mean and standard error of a 1-D tensor's entries.
pub fn mean_se(t: &Tensor) -> (f64, f64) {
    let n = t.size()[0] as f64;
    let mean = t.mean(Kind::Double).double_value(&[]);
    let sd = t.std(true).double_value(&[]);
    (mean, sd / n.sqrt())
}

/// Per-row estimates of `objective` over `reps` independent noise draws on the same data,
/// concatenated (`[reps·b]`, detached).
pub fn replicated_terms(
    objective: &dyn Objective,
    energy: &dyn Energy,
    x: &Tensor,
    reps: usize,
) -> Result<Tensor, ObjectiveError> {
    let parts = (0..reps)
        .map(|_| objective.per_sample(energy, x).map(|t| t.detach()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tensor::cat(&parts, 0))
}

/// The parameter gradient of `objective.loss` on `x`, once per noise draw: `[reps, p]`.
pub fn replicated_grads(
    objective: &dyn Objective,
    energy: &ParamEnergy,
    x: &Tensor,
    reps: usize,
) -> Result<Tensor, ObjectiveError> {
    let rows = (0..reps)
        .map(|_| {
            energy.zero_grad();
            objective.loss(energy, x)?.backward();
            Ok(energy.flat_grad())
        })
        .collect::<Result<Vec<_>, ObjectiveError>>()?;
    Ok(Tensor::stack(&rows, 0))
}
