//! The `Objective` trait and the machinery shared by the objectives.

use crate::error::{ObjectiveError, Result};
use mvl_flows::FlowError;
use mvl_manifold::Energy;
use mvl_manifold::grad_of_sum;
use tch::{Kind, Tensor};

/// A learning objective for an energy-based model q ∝ exp(−E), estimated on a batch of data.
///
/// Every objective documents how its value relates to the score-matching objective
/// J_SM = E_p[½|∇E|² − ΔE] (paper eq. 7), which equals the Fisher divergence D_F(p‖q) minus a
/// constant that does not depend on the model, so that values are comparable across
/// estimators.
///
/// # Shapes
/// `x`: `[b, n]`; `per_sample`: `[b]`; `loss`: `[]`.
pub trait Objective: std::fmt::Debug + Send {
    /// A short name for messages and result files.
    fn name(&self) -> &'static str;

    /// Whether the loss is only a surrogate: its parameter gradient is the estimator, but its
    /// value means nothing and its gradient is not the derivative of its value (CD-1, which
    /// holds its sampler's proposal fixed, paper §3.3). False for proper objectives.
    fn surrogate(&self) -> bool {
        false
    }

    /// Per-sample terms whose mean is the loss (for variance studies). Differentiable with
    /// respect to the energy's parameters.
    fn per_sample(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor>;

    /// The loss: the mean of [`Objective::per_sample`], with the batch checked, failures of
    /// the energy turned into [`ObjectiveError::Energy`], and non-finite values into
    /// [`ObjectiveError::NonFiniteLoss`].
    fn loss(&self, energy: &dyn Energy, x: &Tensor) -> Result<Tensor> {
        let terms = guarded(self.name(), x, || self.per_sample(energy, x))?;
        ensure_finite_loss(self.name(), &terms)?;
        Ok(terms.mean(terms.kind()))
    }

    /// [`Objective::loss`] together with the energies E(x⁻) `[b]` at the points a sampler
    /// step moved the data to, for objectives that make one ([`crate::MinimumVelocity`]);
    /// `None` for the others (the default). The authors' energy losses penalise E(x⁻)² next
    /// to E(x)² (paper-spec §2.7); this is where the moved points' energies come from
    /// without a second sampler step.
    fn loss_and_moved_energy(
        &self,
        energy: &dyn Energy,
        x: &Tensor,
    ) -> Result<(Tensor, Option<Tensor>)> {
        Ok((self.loss(energy, x)?, None))
    }
}

/// Checks that `x` is a non-empty floating-point `[b, n]` batch whose width matches the
/// energy's [`Energy::input_dim`] when it declares one.
pub(crate) fn check_batch(objective: &'static str, energy: &dyn Energy, x: &Tensor) -> Result<()> {
    let size = x.size();
    if !(size.len() == 2 && size[0] >= 1 && size[1] >= 1) {
        return Err(ObjectiveError::BadBatch {
            objective,
            got: size,
        });
    }
    if !x.is_floating_point() {
        return Err(ObjectiveError::UnsupportedKind {
            objective,
            got: x.kind(),
        });
    }
    match energy.input_dim() {
        Some(n) if n != size[1] => Err(ObjectiveError::ShapeMismatch {
            what: objective,
            expected: format!("[b, {n}] (the energy's input width)"),
            got: size,
        }),
        _ => Ok(()),
    }
}

/// Runs `f`, turning a libtorch failure of the energy (tch panics with libtorch's message,
/// or a sampler step's [`FlowError::Energy`]) into [`ObjectiveError::Energy`] naming the
/// objective.
pub(crate) fn guarded<T>(
    objective: &'static str,
    x: &Tensor,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let energy_failed = |message| ObjectiveError::Energy {
        objective,
        shape: x.size(),
        message,
    };
    match mvl_manifold::catch_torch(f) {
        Ok(Err(ObjectiveError::Flow(FlowError::Energy { message, .. }))) | Err(message) => {
            Err(energy_failed(message))
        }
        Ok(result) => result,
    }
}

/// Fails with [`ObjectiveError::NonFiniteLoss`] if some per-sample term is not finite.
pub(crate) fn ensure_finite_loss(objective: &'static str, terms: &Tensor) -> Result<()> {
    if mvl_manifold::all_finite(terms) {
        return Ok(());
    }
    let bad = terms.detach().isfinite().logical_not().nonzero();
    if bad.size()[0] == 0 {
        return Ok(());
    }
    let row = bad.int64_value(&[0, 0]);
    Err(ObjectiveError::NonFiniteLoss {
        objective,
        row,
        value: terms.detach().to_kind(Kind::Double).double_value(&[row]),
        hint: "the energy or its gradient overflowed; lower the learning rate or step size, or use f64",
    })
}

/// Checks that `value` is finite and > 0.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ObjectiveError::InvalidParameter {
            name,
            value,
            reason: "must be finite and > 0",
        })
    }
}

/// The rows of the Hessian of E at `x` applied through `f`: calls `f(j, ∇(∂ⱼE))` for every
/// coordinate j (one backward pass each, with `create_graph`) and sums the results.
/// `grad` must be ∇E computed from `x` with `create_graph`.
pub(crate) fn sum_over_hessian_rows(
    grad: &Tensor,
    x: &Tensor,
    f: impl Fn(i64, &Tensor) -> Tensor,
) -> Tensor {
    let d = x.size()[1];
    (0..d)
        .map(|j| f(j, &grad_of_sum(&grad.select(1, j), x)))
        .fold(grad.select(1, 0).zeros_like(), |acc, t| acc + t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        BatchKde, ContrastiveDivergence, DenoisingScoreMatching, KernelStein, MinimumVelocity,
        Projection, ScoreMatching, SlicedScoreMatching, WassersteinFisherRao,
    };
    use mvl_flows::kernel::Bandwidth;
    use mvl_manifold::{Euclidean, FnEnergy, Sphere};
    use tch::Device;

    const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

    fn all() -> Vec<Box<dyn Objective>> {
        vec![
            Box::new(MinimumVelocity::langevin(1e-3).expect("valid")),
            Box::new(ScoreMatching::euclidean(2).expect("valid")),
            Box::new(SlicedScoreMatching::new(1, Projection::Gaussian).expect("valid")),
            Box::new(DenoisingScoreMatching::new(0.1).expect("valid")),
            Box::new(ContrastiveDivergence::new(1e-3).expect("valid")),
            Box::new(KernelStein::new(Bandwidth::Median).expect("valid")),
            Box::new(
                WassersteinFisherRao::new(
                    Euclidean::new(2).expect("valid"),
                    1e-3,
                    BatchKde::new(Euclidean::new(2).expect("valid")),
                    1.0,
                )
                .expect("valid"),
            ),
            Box::new(
                WassersteinFisherRao::sampled(Euclidean::new(2).expect("valid"), 1e-3, 1.0)
                    .expect("valid"),
            ),
        ]
    }

    #[test]
    fn invalid_parameters_name_the_value() {
        for bad in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
            let same = |e: ObjectiveError, name: &str| match e {
                ObjectiveError::InvalidParameter { name: n, value, .. } => {
                    assert_eq!(n, name);
                    assert!(value.is_nan() && bad.is_nan() || value == bad);
                }
                ObjectiveError::Flow(mvl_flows::FlowError::InvalidParameter {
                    name: n,
                    value,
                    ..
                }) => {
                    assert_eq!(n, name);
                    assert!(value.is_nan() && bad.is_nan() || value == bad);
                }
                other => panic!("unexpected {other:?}"),
            };
            same(
                DenoisingScoreMatching::new(bad).expect_err("invalid"),
                "sigma",
            );
            same(
                MinimumVelocity::langevin(bad).expect_err("invalid"),
                "step size",
            );
            same(
                ContrastiveDivergence::new(bad).expect_err("invalid"),
                "step size",
            );
            same(KernelStein::fixed(bad).expect_err("invalid"), "bandwidth");
            let flat = Euclidean::new(2).expect("valid");
            same(
                WassersteinFisherRao::new(flat, 1e-3, BatchKde::new(flat), bad)
                    .expect_err("invalid"),
                "Fisher-Rao weight",
            );
            same(
                WassersteinFisherRao::sampled(flat, 1e-3, bad).expect_err("invalid"),
                "jump rate scale",
            );
            let sphere = Sphere::new(1).expect("valid");
            same(
                MinimumVelocity::riemannian(sphere, bad).expect_err("invalid"),
                "step size",
            );
        }
        assert!(matches!(
            SlicedScoreMatching::new(0, Projection::Rademacher),
            Err(ObjectiveError::InvalidParameter {
                name: "projections",
                value: 0.0,
                ..
            })
        ));
    }

    #[test]
    fn energy_that_rejects_the_shape_is_a_typed_error() {
        // The objectives draw noise: hold the suites' seed lock (mvl_manifold::testing::seeded).
        let _seed = mvl_manifold::testing::seeded(91);
        // A "network" expecting 3 inputs, fed 2-D data.
        let w = Tensor::ones([3, 1], F64);
        let energy = FnEnergy::new(move |x: &Tensor| x.matmul(&w).squeeze_dim(-1));
        let x = Tensor::zeros([4, 2], F64);
        for obj in all().into_iter().filter(|o| o.name() != "exact SM") {
            match obj.loss(&energy, &x) {
                Err(ObjectiveError::Energy { shape, message, .. }) => {
                    assert_eq!(shape, vec![4, 2]);
                    assert!(
                        message.contains("4x2") && message.contains("3x1"),
                        "{message}"
                    );
                    assert!(!message.contains("frame #"), "{message}");
                }
                other => panic!("{}: expected Energy error, got {other:?}", obj.name()),
            }
        }
        // Exact SM knows the dimension from its manifold and says so before evaluating.
        let sm = ScoreMatching::euclidean(3).expect("valid");
        assert!(matches!(
            sm.loss(&energy, &x),
            Err(ObjectiveError::Manifold(_))
        ));
    }

    #[test]
    fn non_finite_loss_is_an_error_with_context() {
        // The objectives draw noise: hold the suites' seed lock (mvl_manifold::testing::seeded).
        let _seed = mvl_manifold::testing::seeded(92);
        let energy = FnEnergy::new(|x: &Tensor| (x.select(1, 0) * 1e3).exp());
        let x = Tensor::from_slice(&[0.0f64, 0.0, 1.0, 0.0]).view([2, 2]);
        let sm = ScoreMatching::euclidean(2).expect("valid");
        match sm.loss(&energy, &x) {
            Err(ObjectiveError::NonFiniteLoss { row: 1, value, .. }) => assert!(!value.is_finite()),
            other => panic!("expected NonFiniteLoss at row 1, got {other:?}"),
        }
    }
}
