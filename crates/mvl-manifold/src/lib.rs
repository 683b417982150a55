//! Manifolds, charts, Riemannian metrics, Hausdorff densities and directional distributions
//! over libtorch: the geometry layer of the MVL workspace (Wang et al., "A Wasserstein
//! Minimum Velocity Approach to Learning Unnormalized Models", AISTATS 2020, §4).
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
pub mod chart;
pub mod energy;
pub mod error;
pub mod euclidean;
pub mod manifold;
pub mod metric;
pub mod mixture;
pub mod poincare;
pub mod sphere;
#[cfg(feature = "testing")]
pub mod testing;
pub mod uniform;
pub mod vmf_rand;
pub mod von_mises_fisher;

pub use chart::{Chart, ChartEnergy};
pub use energy::{Energy, FnEnergy, GaussianEnergy, InnerProductEnergy, ModuleEnergy};
pub use error::{ManifoldError, Result};
pub use euclidean::{Euclidean, IdentityChart};
pub use manifold::Manifold;
pub use metric::Metric;
pub use mixture::VmfMixture;
pub use poincare::{PoincareBall, PoincareChart};
pub use sphere::{Sphere, StereographicChart};
pub use uniform::{HypersphericalUniform, log_sphere_area};
pub use vmf_rand::VonMisesFisherRng;
pub use von_mises_fisher::VonMisesFisher;

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
