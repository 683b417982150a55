//! Manifolds, charts, Riemannian metrics, Hausdorff densities, directional distributions and
//! integration on manifolds over libtorch: the geometry layer of the MVL workspace (Wang et
//! al., "A Wasserstein Minimum Velocity Approach to Learning Unnormalized Models", AISTATS
//! 2020, §4).
//!
//! # Contents
//! Every item has one public path: the crate root, except the [`bessel`], [`integration`]
//! and `testing` modules.
//! - Geometry: the [`Manifold`] trait, [`Sphere`], [`PoincareBall`], [`Euclidean`], their
//!   charts ([`Chart`]) and [`Metric`]s, row-wise helpers ([`row_dot`], [`row_norm_sq`],
//!   [`max_abs`]); energies ([`Energy`]) and their autograd defaults ([`grad_of_sum`]);
//!   [`MlpEnergy`], an MLP energy with explicit ∇ₓE and a forward Laplacian.
//! - Distributions, all behind one sampling API, [`TensorDistribution`] (kind, device and
//!   shape rules there): [`VonMisesFisher`] (fitting, reparameterised sampling),
//!   [`VmfMixture`] (EM), [`HypersphericalUniform`] and [`WrappedNormalMixture`] on the
//!   Poincaré disk; the scalar `rand_distr` sampler [`VonMisesFisherRng`]; Bessel functions
//!   in [`bessel`].
//! - [`integration`]: the Gauss-Legendre rule, quadrature grids on S¹, S², the Poincaré disk
//!   and latitude-longitude maps, normalising energies (log Z, NLL) and comparing densities.
//!
//! # Errors and preconditions
//! One rule for the whole crate: constructors, fits and [`Manifold::check_points`] validate
//! their inputs and return typed [`ManifoldError`]s naming the offending value or shape;
//! methods that return tensors (geometric maps, charts, energies, [`TensorDistribution`]'s
//! `sample` and `log_prob`) do not validate, and document their preconditions (shapes,
//! points on M) and the values they give outside them (e.g. NaN off the Poincaré ball; a
//! negative sample count is 0). [`Energy::input_dim`] lets callers check a batch's width
//! before evaluating an energy, as the flows and objectives of the workspace do.
//!
//! A density on a manifold, given as an energy E of points in the ambient space, becomes a
//! chart (Lebesgue) density through [`ChartEnergy`]: E_chart = E∘embed − ½ log det G.
//!
//! ```
//! use mvl_manifold::{Chart, ChartEnergy, Energy, FnEnergy, Manifold, Sphere};
//! use tch::{Kind, Tensor};
//!
//! // A von Mises-Fisher energy on the circle S^1: E(y) = -κ μᵀy with κ = 2, μ = (0, 1).
//! let circle = Sphere::new(1)?;
//! let energy = FnEnergy::new(|y: &Tensor| y.select(1, 1) * -2.0);
//! let y = Tensor::from_slice(&[0.6f64, 0.8, 0.0, -1.0]).view([2, 2]);
//! circle.check_points(&y)?;
//! let chart = circle.chart_at(&y);               // projects each row from its opposite pole
//! let x = chart.coords(&y);                      // [2, 1] chart coordinates, |x| <= 1
//! let e_chart = ChartEnergy::new(&energy, &chart).energy(&x);
//! let expected = energy.energy(&y) - chart.half_log_det(&x);
//! assert!((e_chart - expected).abs().max().double_value(&[]) < 1e-12);
//! # Ok::<(), mvl_manifold::ManifoldError>(())
//! ```

pub mod bessel;
mod chart;
mod distribution;
mod energy;
mod error;
mod euclidean;
mod guard;
pub mod integration;
mod manifold;
mod metric;
mod mixture;
mod mlp;
mod poincare;
mod sphere;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod uniform;
mod vmf_rand;
mod von_mises_fisher;
mod wrapped_normal;

pub use chart::{Chart, ChartEnergy, autograd_inv_metric_div, autograd_metric};
pub use distribution::TensorDistribution;
pub use energy::{
    Energy, EnergyLaplacian, FnEnergy, GaussianEnergy, InnerProductEnergy, ModuleEnergy,
    autograd_energy_and_grad, differentiable, grad_of_sum,
};
pub use error::{ManifoldError, Result};
pub use euclidean::{Euclidean, IdentityChart};
pub use guard::{all_finite, catch_torch};
pub use manifold::Manifold;
pub use metric::{Metric, max_abs, row_dot, row_norm_sq};
pub use mixture::{EM_KAPPA_MAX, VmfMixture};
pub use mlp::{Activation, MlpEnergy, MlpForm, MlpInit, MlpSpec};
pub use poincare::{BOUNDARY_EPS, PoincareBall, PoincareChart};
pub use sphere::{Sphere, StereographicChart};
pub use uniform::{HypersphericalUniform, log_sphere_area};
pub use vmf_rand::VonMisesFisherRng;
pub use von_mises_fisher::{VonMisesFisher, solve_concentration};
pub use wrapped_normal::WrappedNormalMixture;

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
