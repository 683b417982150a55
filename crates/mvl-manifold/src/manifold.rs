//! The `Manifold` trait and shared input checks.

use crate::chart::Chart;
use crate::error::{ManifoldError, Result};
use tch::{Kind, Tensor};

/// A Riemannian manifold M of dimension d, represented in an ambient space R^n, with an atlas
/// from which [`Manifold::chart_at`] picks a chart for every point of a batch.
///
/// # Shapes
/// Points `[b, n]` (ambient), tangent vectors `[b, n]`.
///
/// # Errors and preconditions (the crate's rule)
/// Constructors and checks return [`crate::Result`]: [`Manifold::check_points`] is the one
/// place that validates points (shape `[b, n]` with any b ≥ 0, floating kind, finite, on M).
/// The geometric maps (`project`, `to_tangent`, `chart_at`, the charts' methods and the
/// manifolds' `exp`, `log`, `dist`) return tensors and assume points that pass
/// `check_points` (shape and kind; libtorch panics on a wrong width): they do not repeat the
/// check on every call. Their values at finite points off M are documented per method
/// (e.g. [`crate::PoincareBall::dist`] is NaN outside the ball); non-finite points give
/// non-finite results. Flows (`mvl-flows`) and objectives (`mvl-objectives`) check their
/// inputs before calling them.
pub trait Manifold: std::fmt::Debug + Send {
    /// The chart type of the atlas.
    type Chart: Chart;

    /// A short name for messages ("S^2", "H^2", "R^3").
    fn name(&self) -> String;

    /// The intrinsic dimension d (also the chart dimension).
    fn dim(&self) -> i64;

    /// The ambient dimension n.
    fn ambient_dim(&self) -> i64;

    /// The nearest point of M (for points slightly off it, e.g. after rounding).
    fn project(&self, y: &Tensor) -> Tensor;

    /// The projection of ambient vectors `v` onto the tangent spaces at `y`.
    fn to_tangent(&self, y: &Tensor, v: &Tensor) -> Tensor;

    /// A chart of the atlas that contains every row of `y` (it may differ per row).
    /// Precondition: `y` is a `[b, n]` floating-point batch (trait docs).
    fn chart_at(&self, y: &Tensor) -> Self::Chart;

    /// Checks that `y` is a `[b, n]` floating-point batch (any b ≥ 0) of finite points on M
    /// (within a tolerance suited to the dtype), returning a typed error that names the shape,
    /// the kind or the first offending row.
    fn check_points(&self, y: &Tensor) -> Result<()>;
}

/// Checks that `y` has shape `[b, n]`, a floating kind and finite entries.
pub(crate) fn check_batch(what: &'static str, y: &Tensor, n: i64) -> Result<()> {
    if !y.is_floating_point() {
        return Err(ManifoldError::UnsupportedKind {
            what,
            got: y.kind(),
        });
    }
    let size = y.size();
    if size.len() != 2 || size[1] != n {
        return Err(ManifoldError::ShapeMismatch {
            what,
            expected: format!("[b, {n}]"),
            got: size,
        });
    }
    if crate::all_finite(y) {
        return Ok(());
    }
    if let Some(row) = first_true_row(&y.isfinite().logical_not().any_dim(1, false)) {
        return Err(ManifoldError::OffManifold {
            manifold: what,
            row,
            detail: "non-finite coordinate".to_owned(),
        });
    }
    Ok(())
}

/// Checks a dimension argument.
pub(crate) fn check_dim(what: &'static str, dim: i64, min: i64) -> Result<()> {
    if dim < min {
        return Err(ManifoldError::InvalidDimension {
            what,
            min,
            got: dim,
        });
    }
    Ok(())
}

/// The index of the first `true` entry of a boolean vector, if any.
pub(crate) fn first_true_row(mask: &Tensor) -> Option<i64> {
    let idx = mask.nonzero();
    (idx.size()[0] > 0).then(|| idx.int64_value(&[0, 0]))
}

/// The tolerance for "on the manifold" checks: looser for single precision.
pub(crate) fn tolerance(kind: Kind) -> f64 {
    match kind {
        Kind::Double => 1e-8,
        _ => 1e-4,
    }
}
