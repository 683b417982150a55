//! Exact normalisation on S^2: log Z = ln ∫ exp(−E) dA by Gauss-Legendre (in cos θ) ×
//! uniform-longitude quadrature ([`crate::quadrature::sphere2`]), which converges spectrally;
//! a vMF of concentration κ needs about n_θ = 3√κ colatitude nodes for 1e-6 (issue 6), so a
//! learned density is normalised on grids doubled until log Z stops changing.

use crate::quadrature::sphere2;
use mvl_manifold::Energy;
use serde::Serialize;
use tch::{Device, Kind, Tensor};

/// ln C(κ) of the vMF density C(κ) exp(κ μᵀy) on S^2 w.r.t. area: C = κ / (4π sinh κ)
/// (Mardia & Jupp 2000, eq. 9.3.5 with p = 3), computed as ln κ − ln 2π − κ − ln(1 − e^{−2κ})
/// so that it stays finite for κ in the thousands; −ln 4π at κ = 0.
pub fn log_vmf_normalizer(kappa: f64) -> f64 {
    if kappa < 1e-12 {
        return -super::UNIFORM_NLL;
    }
    kappa.ln() - (2.0 * std::f64::consts::PI).ln() - kappa - (-(-2.0 * kappa).exp_m1()).ln()
}

/// The number of colatitude nodes that resolves a vMF of concentration κ to ~1e-6 in log Z:
/// ⌈3√κ⌉, at least 16 (issue 6).
pub fn n_theta_for(kappa: f64) -> usize {
    ((3.0 * kappa.max(0.0).sqrt()).ceil() as usize).max(16)
}

/// E at points `[N, 3]`, evaluated without gradients in chunks in the points' kind and
/// device, returned as f64 on the CPU.
pub fn energies(energy: &dyn Energy, points: &Tensor) -> Tensor {
    let parts: Vec<Tensor> = points
        .split(32_768, 0)
        .iter()
        .map(|p| {
            tch::no_grad(|| energy.energy(p))
                .to_kind(Kind::Double)
                .to_device(Device::Cpu)
        })
        .collect();
    Tensor::cat(&parts, 0)
}

/// A quadrature grid held in the training kind and device, for repeated log Z evaluations
/// (validation during training).
#[derive(Debug)]
pub struct Normaliser {
    points: Tensor,
    log_weights: Tensor,
    /// Colatitude nodes (longitudes: twice as many).
    pub n_theta: usize,
}

impl Normaliser {
    /// The `n_theta × 2 n_theta` grid in `kind` on `device`.
    pub fn new(n_theta: usize, kind: Kind, device: Device) -> Self {
        let grid = sphere2(n_theta, 2 * n_theta as i64);
        Self {
            points: grid.points.to_kind(kind).to_device(device),
            log_weights: grid.weights.log(),
            n_theta,
        }
    }

    /// ln ∫ exp(−E) dA on this grid.
    pub fn log_z(&self, energy: &dyn Energy) -> f64 {
        let log_q = -energies(energy, &self.points) + &self.log_weights;
        log_q.logsumexp([0], false).double_value(&[])
    }
}

/// A converged log Z and how it was obtained.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LogZ {
    /// ln ∫ exp(−E) dA on the finest grid.
    pub value: f64,
    /// Colatitude nodes of the finest grid.
    pub n_theta: usize,
    /// |log Z(finest) − log Z(previous grid)|: the error bound reported.
    pub change: f64,
}

/// log Z on grids of `start`, 2·`start`, ... colatitude nodes until two successive values
/// agree within `tol` or `max_n_theta` is reached.
pub fn converged_log_z(
    energy: &dyn Energy,
    kind: Kind,
    device: Device,
    start: usize,
    tol: f64,
    max_n_theta: usize,
) -> LogZ {
    let mut n = start.max(8);
    let mut previous = Normaliser::new(n, kind, device).log_z(energy);
    loop {
        let next_n = (2 * n).min(max_n_theta.max(n + 1));
        let value = Normaliser::new(next_n, kind, device).log_z(energy);
        let change = (value - previous).abs();
        if change <= tol || next_n >= max_n_theta || !value.is_finite() {
            return LogZ {
                value,
                n_theta: next_n,
                change,
            };
        }
        (n, previous) = (next_n, value);
    }
}

/// Mean negative log-likelihood, in nats w.r.t. area, of `points` under exp(−E)/Z.
pub fn nll(energy: &dyn Energy, points: &Tensor, log_z: f64) -> f64 {
    energies(energy, points)
        .mean(Kind::Double)
        .double_value(&[])
        + log_z
}

#[cfg(test)]
mod tests {
    use super::*;
    use mvl_manifold::{FnEnergy, VonMisesFisher};

    #[test]
    fn closed_form_normaliser_matches_the_manifold_crate() {
        for kappa in [0.0, 1e-6, 0.5, 3.0, 50.0, 700.0, 5000.0] {
            let vmf = VonMisesFisher::new(
                &Tensor::from_slice(&[0.0f64, 0.0, 1.0]).view([1, 3]),
                &Tensor::from_slice(&[kappa]),
            )
            .expect("valid vMF");
            let theirs = vmf.log_normalizer().double_value(&[0]);
            assert!(
                (log_vmf_normalizer(kappa) - theirs).abs() < 1e-9 * (1.0 + theirs.abs()),
                "κ = {kappa}: {theirs}"
            );
        }
    }

    #[test]
    fn doubling_stops_when_converged() {
        let mu = Tensor::from_slice(&[0.48f64, -0.6, 0.64]);
        let energy = FnEnergy::new(move |y: &Tensor| y.matmul(&mu.to_kind(y.kind())) * -300.0);
        let z = converged_log_z(&energy, Kind::Double, Device::Cpu, 16, 1e-8, 1024);
        assert!((z.value + log_vmf_normalizer(300.0)).abs() < 1e-8, "{z:?}");
        assert!(z.n_theta <= 128 && z.change <= 1e-8, "{z:?}");
    }
}
