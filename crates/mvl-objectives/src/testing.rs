//! The conformance suite of objectives (feature "testing"; always compiled for this crate's
//! own tests).
//!
//! Every objective adds a one-line test calling [`check_objective`]. The suite panics with a
//! message naming the objective, the device and the property (it is a test helper).

use crate::{Objective, ObjectiveError};
use mvl_manifold::Energy;
use mvl_manifold::testing::{devices, seeded};
use tch::{Device, Kind, Tensor};

/// The seed of every evaluation of the suite (reseeded before each, so that finite
/// differences and the control-variate comparison see the same noise).
const SEED: i64 = 20_200_826;

/// Central finite-difference step of the gradient check.
const H: f64 = 1e-5;

/// Relative tolerance of the gradient check: |g − fd| ≤ TOL·(1 + |g|) per parameter. The
/// truncation error is O(H²) and the rounding error O(10⁻¹⁶·|ℓ|/H) ≈ 10⁻⁹ for the terms of
/// size up to 1/ε ≈ 10³ that minimum velocity objectives divide by.
const TOL: f64 = 1e-5;

/// Checks `objective` on every device of [`mvl_manifold::testing::devices`], with a small parametrised f64 energy
/// E_θ(y) = ½a|y|² − μᵀy + b Σⱼ sin yⱼ, θ = (a, b, μ) = (0.2, 0.1, 0.1, −0.1, …), gentle enough
/// (|∇E| < 1 for |y| ≤ 2) that the flows' per-row step rescaling stays inactive:
///
/// - the loss of the valid `batch` (`[b, n]`, f64, points of the objective's space, b ≥ 2)
///   is finite;
/// - an empty batch `[0, n]` and batches of rank 1 or 3 are [`ObjectiveError::BadBatch`]
///   naming their shape; a batch of the wrong width `[b, n + 1]` is an error, not a panic;
/// - unless the objective is a [`Objective::surrogate`] (CD-1, whose gradient holds its
///   proposal fixed and so is not the derivative of its value), the θ-gradient of the loss,
///   through the flow step where there is one, equals central finite differences with the
///   same noise (step 10⁻⁵, relative tolerance 10⁻⁵);
/// - with `plain`, the same estimator without its control variate: the sample variance of
///   the per-sample terms is below that of `plain` with the same noise (the control variate
///   removes a term of variance O(1/ε), paper eq. 11, so at ε ≤ 10⁻² and b ≥ 32 rows the
///   comparison fails only for a broken control variate).
///
/// The suite seeds libtorch under [`seeded`]'s lock itself: do not hold the lock when
/// calling it.
pub fn check_objective(objective: &dyn Objective, batch: &Tensor, plain: Option<&dyn Objective>) {
    let _seed = seeded(SEED);
    for device in devices() {
        let x = batch.to_kind(Kind::Double).to_device(device);
        let theta = tiny_parameters(x.size()[1], device);
        let what = format!("{} on {device:?}", objective.name());
        let loss = evaluate(objective, &theta, &x)
            .unwrap_or_else(|e| panic!("{what}: loss of a valid batch failed: {e}"));
        assert!(
            loss.double_value(&[]).is_finite(),
            "{what}: non-finite loss"
        );
        check_bad_batches(objective, &theta, &x, &what);
        if !objective.surrogate() {
            check_gradient(objective, &theta, &x, &what);
        }
        if let Some(plain) = plain {
            check_variance(objective, plain, &theta, &x, &what);
        }
    }
}

/// θ₀ = (a, b, μ) for data of width n, on `device`.
fn tiny_parameters(n: i64, device: Device) -> Tensor {
    let mu: Vec<f64> = (0..n)
        .map(|j| if j % 2 == 0 { 0.1 } else { -0.1 })
        .collect();
    let theta: Vec<f64> = [0.2, 0.1].into_iter().chain(mu).collect();
    Tensor::from_slice(&theta).to_device(device)
}

/// E_θ(y) = ½a|y|² − μᵀy + b Σⱼ sin yⱼ (the matrix product makes a wrong width an error).
#[derive(Debug)]
struct TinyEnergy {
    theta: Tensor,
}

impl Energy for TinyEnergy {
    fn energy(&self, y: &Tensor) -> Tensor {
        let n = self.theta.size()[0] - 2;
        let (a, b) = (self.theta.get(0), self.theta.get(1));
        let mu = self.theta.narrow(0, 2, n).unsqueeze(1);
        let square = y.square().sum_dim_intlist(-1, false, y.kind());
        let sines = y.sin().sum_dim_intlist(-1, false, y.kind());
        square * a * 0.5 - y.matmul(&mu).squeeze_dim(-1) + sines * b
    }
}

/// The loss at θ with the suite's noise.
fn evaluate(
    objective: &dyn Objective,
    theta: &Tensor,
    x: &Tensor,
) -> Result<Tensor, ObjectiveError> {
    tch::manual_seed(SEED);
    let energy = TinyEnergy {
        theta: theta.shallow_clone(),
    };
    objective.loss(&energy, x)
}

/// Empty, wrongly ranked and wrongly wide batches.
fn check_bad_batches(objective: &dyn Objective, theta: &Tensor, x: &Tensor, what: &str) {
    let (b, n) = (x.size()[0], x.size()[1]);
    let opts = (Kind::Double, x.device());
    for shape in [vec![0, n], vec![b], vec![b, n, 1]] {
        match evaluate(objective, theta, &Tensor::zeros(shape.as_slice(), opts)) {
            Err(ObjectiveError::BadBatch { got, .. }) => assert_eq!(got, shape, "{what}"),
            other => panic!("{what}: expected BadBatch for {shape:?}, got {other:?}"),
        }
    }
    let wide = Tensor::cat(&[x.shallow_clone(), x.narrow(1, 0, 1)], 1);
    assert!(
        evaluate(objective, theta, &wide).is_err(),
        "{what}: a batch of width {} must be an error",
        n + 1
    );
}

/// Autograd θ-gradient against central finite differences with the same noise.
fn check_gradient(objective: &dyn Objective, theta: &Tensor, x: &Tensor, what: &str) {
    let leaf = theta.detach().set_requires_grad(true);
    let loss = evaluate(objective, &leaf, x).unwrap_or_else(|e| panic!("{what}: {e}"));
    let grad = Tensor::run_backward(&[loss], &[&leaf], false, false)
        .pop()
        .unwrap_or_else(|| panic!("{what}: no gradient"));
    for k in 0..theta.size()[0] {
        let at = |sign: f64| {
            let shifted =
                theta.detach() + theta.zeros_like().index_fill(0, &index(k, theta), sign * H);
            evaluate(objective, &shifted, x)
                .unwrap_or_else(|e| panic!("{what}: {e}"))
                .double_value(&[])
        };
        let fd = (at(1.0) - at(-1.0)) / (2.0 * H);
        let g = grad.double_value(&[k]);
        assert!(
            (g - fd).abs() <= TOL * (1.0 + g.abs()),
            "{what}: ∂loss/∂θ_{k} = {g} by autograd, {fd} by finite differences"
        );
    }
}

/// The index tensor [k] on `like`'s device.
fn index(k: i64, like: &Tensor) -> Tensor {
    Tensor::from_slice(&[k]).to_device(like.device())
}

/// The per-sample variance with the control variate is below the plain estimator's.
fn check_variance(
    objective: &dyn Objective,
    plain: &dyn Objective,
    theta: &Tensor,
    x: &Tensor,
    what: &str,
) {
    let variance = |o: &dyn Objective| {
        tch::manual_seed(SEED);
        let energy = TinyEnergy {
            theta: theta.shallow_clone(),
        };
        o.per_sample(&energy, x)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .detach()
            .var(true)
            .double_value(&[])
    };
    let (with, without) = (variance(objective), variance(plain));
    assert!(
        with < without,
        "{what}: per-sample variance {with} with the control variate, {without} without ({})",
        plain.name()
    );
}
