//! One sampling API for the distributions on manifolds.

use tch::{Device, Kind, Tensor};

/// A probability distribution on a manifold with exact samples and an exact log-density
/// with respect to the Riemannian volume (Hausdorff measure) of the manifold.
///
/// Implemented by [`crate::VonMisesFisher`], [`crate::VmfMixture`],
/// [`crate::HypersphericalUniform`] and [`crate::WrappedNormalMixture`]. The name keeps it
/// apart from `rand_distr::Distribution` (scalar draws from a `rand` generator, implemented
/// by [`crate::VonMisesFisherRng`]).
///
/// # Kind and device
/// Every distribution has its own kind and device, [`Self::options`]: those of its parameter
/// tensors as given to the constructor (the mean directions of a von Mises-Fisher
/// distribution or mixture, the centres of a wrapped normal mixture; integer tensors become
/// f64), and for the parameterless [`crate::HypersphericalUniform`] f64 on the CPU unless set
/// by `with_options`.
/// - [`Self::sample`] returns samples in that kind on that device, without a graph. Draws
///   come from libtorch's generator of that device, so `tch::manual_seed` makes them
///   reproducible. To train in another kind or on another device, convert the samples
///   (`.to_kind(..).to_device(..)`): the random stream then stays the same.
/// - [`Self::log_prob`] converts its points to that kind and device first (differentiably;
///   a no-op when they match) and returns its result there.
///
/// # Shapes
/// `sample(n)`: `[n, b, m]` for a batch of b von Mises-Fisher distributions (one sample set
/// per row, like `torch.distributions`' batch shape), `[n, m]` for the others (m the ambient
/// dimension). `log_prob(y)`: `[N, m]` → `[N]` for all; the von Mises-Fisher distribution
/// also broadcasts `[..., b, m]` → `[..., b]`. Points are not checked to lie on the manifold.
///
/// # Preconditions and errors
/// `sample` and `log_prob` return tensors, not results: the distributions validate their
/// parameters in their constructors (typed [`crate::ManifoldError`]s), and `log_prob` takes
/// points of the documented shape (libtorch panics on others; flows and objectives check
/// shapes against [`crate::Energy::input_dim`] first). Non-finite points give non-finite
/// log-densities.
///
/// # Why trait methods only
/// The four types implement `sample` and `log_prob` only through this trait (no inherent
/// methods of the same names), so each has one public path and generic code (`&dyn
/// TensorDistribution`) and concrete code call the same item; bring the trait into scope
/// with `use mvl_manifold::TensorDistribution`.
///
/// ```
/// use mvl_manifold::{HypersphericalUniform, TensorDistribution};
/// use tch::{Device, Kind};
/// let u = HypersphericalUniform::new(2)?.with_options((Kind::Float, Device::Cpu));
/// let x = u.sample(5);
/// assert_eq!((x.size(), x.kind()), (vec![5, 3], Kind::Float));
/// let lp = u.log_prob(&x.to_kind(Kind::Double));                // converted to f32
/// assert_eq!((lp.size(), lp.kind()), (vec![5], Kind::Float));
/// # Ok::<(), mvl_manifold::ManifoldError>(())
/// ```
pub trait TensorDistribution: std::fmt::Debug + Send {
    /// The kind and device of samples and log-densities.
    fn options(&self) -> (Kind, Device);

    /// `n` independent samples (shapes: trait docs), in [`Self::options`], without a graph.
    /// A negative `n` is treated as 0 (an empty batch): the method has no error channel, and
    /// every implementation follows this rule rather than panicking.
    fn sample(&self, n: i64) -> Tensor;

    /// ln p(y) with respect to the Riemannian volume (shapes: trait docs), in
    /// [`Self::options`].
    fn log_prob(&self, y: &Tensor) -> Tensor;
}

/// `t` in `options` (no copy when it already is).
pub(crate) fn to_options(t: &Tensor, options: (Kind, Device)) -> Tensor {
    t.to_kind(options.0).to_device(options.1)
}

/// The floating kind of a parameter tensor: its own, or f64 for integer tensors.
pub(crate) fn floating_kind(t: &Tensor) -> Kind {
    if t.is_floating_point() {
        t.kind()
    } else {
        Kind::Double
    }
}

#[cfg(test)]
mod tests;
