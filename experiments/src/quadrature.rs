//! Quadrature grids on S^1, S^2 and the hyperbolic plane, for normalising learned densities
//! and comparing them with the truth.
//!
//! On S^2 the grid is Gauss-Legendre in cos θ times uniform longitude, which converges
//! spectrally for smooth integrands (issue 6: n_θ ≥ 3√κ_max nodes reach 1e-6 for a vMF of
//! concentration κ_max; a plain latitude-longitude midpoint grid needs 10-100× more points).

use tch::{Device, Kind, Tensor};

/// Points of a manifold with quadrature weights for its Riemannian volume.
#[derive(Debug)]
pub struct Grid {
    /// `[N, n]` ambient points (f64).
    pub points: Tensor,
    /// `[N]` weights; they sum to the volume of the (covered part of the) manifold.
    pub weights: Tensor,
}

/// Gauss-Legendre nodes and weights on [−1, 1] (Newton's iteration on the Legendre
/// recurrence; Abramowitz & Stegun 25.4.29), exact for polynomials of degree 2n − 1.
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        // Initial guess (Tricomi), then Newton on P_n.
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (p, d) = legendre_and_derivative(n, x);
            dp = d;
            let dx = p / d;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        let (_, d) = legendre_and_derivative(n, x);
        dp = if d.is_finite() { d } else { dp };
        let w = 2.0 / ((1.0 - x * x) * dp * dp);
        nodes[i] = x;
        nodes[n - 1 - i] = -x;
        weights[i] = w;
        weights[n - 1 - i] = w;
    }
    (nodes, weights)
}

/// (P_n(x), P_n'(x)) by the three-term recurrence.
fn legendre_and_derivative(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let k = k as f64;
        let p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
    }
    let d = n as f64 * (x * p1 - p0) / (x * x - 1.0);
    (p1, d)
}

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// `n` equally spaced points on S^1 ⊂ R² (angles −π + (i + ½)2π/n), weights 2π/n.
pub fn circle(n: i64) -> Grid {
    let step = 2.0 * std::f64::consts::PI / n as f64;
    let theta = (Tensor::arange(n, F64) + 0.5) * step - std::f64::consts::PI;
    Grid {
        points: Tensor::stack(&[theta.cos(), theta.sin()], 1),
        weights: Tensor::full([n], step, F64),
    }
}

/// Gauss-Legendre in cos θ (`n_theta` nodes) × `n_phi` uniform longitudes on S^2 ⊂ R³;
/// rows are ordered latitude-major (all longitudes of the first colatitude, then the next).
pub fn sphere2(n_theta: usize, n_phi: i64) -> Grid {
    let (nodes, w) = gauss_legendre(n_theta);
    let cos_t = Tensor::from_slice(&nodes);
    let w_t = Tensor::from_slice(&w);
    let step = 2.0 * std::f64::consts::PI / n_phi as f64;
    let phi = (Tensor::arange(n_phi, F64) + 0.5) * step - std::f64::consts::PI;
    let sin_t = (-cos_t.square() + 1.0).sqrt();
    let x = sin_t.unsqueeze(1) * phi.cos().unsqueeze(0);
    let y = sin_t.unsqueeze(1) * phi.sin().unsqueeze(0);
    let z = cos_t.unsqueeze(1).expand([n_theta as i64, n_phi], false);
    let points = Tensor::stack(&[x.flatten(0, 1), y.flatten(0, 1), z.flatten(0, 1)], 1);
    let weights = (w_t.unsqueeze(1) * step)
        .expand([n_theta as i64, n_phi], false)
        .flatten(0, 1);
    Grid { points, weights }
}

/// The hyperbolic plane in the Poincaré disk, in geodesic polar coordinates about the
/// origin up to distance `rho_max`: Gauss-Legendre in ρ (`n_rho`) × `n_phi` angles, volume
/// element sinh ρ dρ dφ, points tanh(ρ/2)(cos φ, sin φ).
pub fn hyperbolic_disk(n_rho: usize, n_phi: i64, rho_max: f64) -> Grid {
    let (nodes, w) = gauss_legendre(n_rho);
    let rho = (Tensor::from_slice(&nodes) + 1.0) * (rho_max / 2.0);
    let w_rho = Tensor::from_slice(&w) * (rho_max / 2.0) * rho.sinh();
    let step = 2.0 * std::f64::consts::PI / n_phi as f64;
    let phi = (Tensor::arange(n_phi, F64) + 0.5) * step;
    let r = (&rho / 2.0).tanh();
    let x = r.unsqueeze(1) * phi.cos().unsqueeze(0);
    let y = r.unsqueeze(1) * phi.sin().unsqueeze(0);
    let points = Tensor::stack(&[x.flatten(0, 1), y.flatten(0, 1)], 1);
    let weights = (w_rho.unsqueeze(1) * step)
        .expand([n_rho as i64, n_phi], false)
        .flatten(0, 1);
    Grid { points, weights }
}

/// log ∫ exp(log_q) over the grid.
pub fn log_integral(log_q: &Tensor, grid: &Grid) -> f64 {
    (log_q.to_kind(Kind::Double) + grid.weights.log())
        .logsumexp([0], false)
        .double_value(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_is_exact_for_polynomials() {
        let (x, w) = gauss_legendre(7);
        for k in 0..14 {
            let got: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(k)).sum();
            let want = if k % 2 == 1 {
                0.0
            } else {
                2.0 / (k as f64 + 1.0)
            };
            assert!((got - want).abs() < 1e-14, "degree {k}: {got} vs {want}");
        }
    }

    #[test]
    fn areas_and_vmf_normaliser() {
        let c = circle(100);
        assert!(
            (c.weights.sum(Kind::Double).double_value(&[]) - 2.0 * std::f64::consts::PI).abs()
                < 1e-12
        );
        // vMF on S^2 with κ = 50: ∫ exp(κ μᵀy) = 4π sinh κ / κ.
        let g = sphere2(40, 80);
        let kappa = 50.0f64;
        let mu = Tensor::from_slice(&[0.3f64, -0.2, 0.9]);
        let mu = &mu / mu.norm();
        let log_q = g.points.matmul(&mu) * kappa;
        let want =
            (4.0 * std::f64::consts::PI / kappa).ln() + kappa + (1.0 - (-2.0 * kappa).exp()).ln()
                - 2f64.ln();
        assert!((log_integral(&log_q, &g) - want).abs() < 1e-8);
        // Hyperbolic disk: ∫ exp(−3ρ) dvol = 2π/8.
        let h = hyperbolic_disk(200, 16, 20.0);
        let rho = (h
            .points
            .square()
            .sum_dim_intlist(1, false, Kind::Double)
            .sqrt())
        .arctanh()
            * 2.0;
        let got = log_integral(&(rho * -3.0), &h).exp();
        assert!((got - std::f64::consts::PI / 4.0).abs() < 1e-8, "{got}");
    }
}
