//! Normalising energies by quadrature: log Z = ln ∫ exp(−E) dvol, and the NLL of points under
//! exp(−E)/Z.

use super::domain::Quadrature;
use crate::energy::Energy;
use crate::error::{ManifoldError, Result};
use tch::{Device, Kind, Tensor};

/// Rows per chunk of [`energies`] in [`Normaliser::log_z`] and [`nll`].
pub const CHUNK_ROWS: i64 = 32_768;

/// E at `points` (`[N, n]`, any kind and device), evaluated without gradients in chunks of
/// `chunk_rows` rows (at least 1), each converted to `options` (the energy's kind and
/// device) first; `[N]` f64 on the CPU.
///
/// The chunk size bounds the memory of one forward pass. It can change the last bits of f32
/// results on accelerators (the matrix kernels are chosen by shape), so callers that must
/// reproduce earlier numbers keep theirs.
pub fn energies(
    energy: &dyn Energy,
    points: &Tensor,
    options: (Kind, Device),
    chunk_rows: i64,
) -> Tensor {
    let (kind, device) = options;
    let parts: Vec<Tensor> = points
        .split(chunk_rows.max(1), 0)
        .iter()
        .map(|p| {
            tch::no_grad(|| energy.energy(&p.to_kind(kind).to_device(device)))
                .to_kind(Kind::Double)
                .to_device(Device::Cpu)
        })
        .collect();
    Tensor::cat(&parts, 0)
}

/// Fails unless `points` (named `what`) is a floating-point `[N, n]` batch with N ≥ 1 rows
/// whose width n is the energy's [`Energy::input_dim`] (when it declares one).
fn check_batch(what: &'static str, energy: &dyn Energy, points: &Tensor) -> Result<()> {
    if !points.is_floating_point() {
        let got = points.kind();
        return Err(ManifoldError::UnsupportedKind { what, got });
    }
    let shape = points.size();
    let width = energy.input_dim();
    if shape.len() != 2 || width.is_some_and(|w| w != shape[1]) {
        let n = width.map_or("n".to_owned(), |w| w.to_string());
        return Err(ManifoldError::ShapeMismatch {
            what,
            expected: format!("[N, {n}] (the energy's input width)"),
            got: shape,
        });
    }
    if shape[0] == 0 {
        return Err(ManifoldError::NotEnoughData {
            what,
            min: 1,
            got: 0,
        });
    }
    Ok(())
}

/// Mean negative log-likelihood −(1/N) Σᵢ ln(exp(−E(yᵢ))/Z) = mean E + log Z of `points`
/// (`[N, n]`, in the energy's kind and device), in nats with respect to the Riemannian
/// volume, given `log_z` = ln Z (e.g. from [`Normaliser::log_z`]).
///
/// The result is not finite when `log_z` or the energy at a point is not (NaN, or ±∞ when
/// the infinities do not cancel).
///
/// Errors: `UnsupportedKind` for integer points, `ShapeMismatch` unless the points are
/// `[N, n]` with n the energy's [`Energy::input_dim`] (when it declares one),
/// `NotEnoughData` for N = 0.
pub fn nll(energy: &dyn Energy, points: &Tensor, log_z: f64) -> Result<f64> {
    check_batch("nll points", energy, points)?;
    let mean = energies(energy, points, (points.kind(), points.device()), CHUNK_ROWS)
        .mean(Kind::Double)
        .double_value(&[]);
    Ok(mean + log_z)
}

/// A quadrature grid held in the kind and on the device of an energy, for repeated
/// evaluations of log Z = ln ∫ exp(−E) dvol (e.g. validation during training).
#[derive(Debug)]
pub struct Normaliser {
    points: Tensor,
    log_weights: Tensor,
    resolution: usize,
}

impl Normaliser {
    /// The grid of `domain` at `resolution` ([`Quadrature::grid`]), its points in `options`.
    ///
    /// Errors: `UnsupportedKind` for kinds other than f16, bf16, f32 and f64; those of
    /// [`Quadrature::grid`].
    pub fn new(
        domain: &dyn Quadrature,
        resolution: usize,
        options: (Kind, Device),
    ) -> Result<Self> {
        if !matches!(
            options.0,
            Kind::Half | Kind::BFloat16 | Kind::Float | Kind::Double
        ) {
            let got = options.0;
            return Err(ManifoldError::UnsupportedKind {
                what: "Normaliser kind",
                got,
            });
        }
        let grid = domain.grid(resolution)?;
        Ok(Self {
            points: grid.points.to_kind(options.0).to_device(options.1),
            log_weights: grid.weights.log(),
            resolution,
        })
    }

    /// The resolution of the grid.
    pub fn resolution(&self) -> usize {
        self.resolution
    }

    /// ln Σᵢ wᵢ exp(−E(yᵢ)) ≈ ln ∫ exp(−E) dvol on this grid (energies by [`energies`]).
    ///
    /// Non-finite results as [`super::Grid::log_integral`]'s: +∞ when E is −∞ at a point,
    /// −∞ when it is +∞ at every point, NaN when it is NaN at a point.
    ///
    /// Errors: `ShapeMismatch` when the energy declares an [`Energy::input_dim`] other than
    /// the width of the grid's points.
    pub fn log_z(&self, energy: &dyn Energy) -> Result<f64> {
        check_batch("grid points", energy, &self.points)?;
        let options = (self.points.kind(), self.points.device());
        let log_q = -energies(energy, &self.points, options, CHUNK_ROWS) + &self.log_weights;
        Ok(log_q.logsumexp([0], false).double_value(&[]))
    }
}

/// A converged log Z and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogZ {
    /// ln ∫ exp(−E) dvol on the finest grid.
    pub value: f64,
    /// The resolution of the finest grid.
    pub resolution: usize,
    /// |log Z(finest) − log Z(previous grid)|: the error bound reported.
    pub change: f64,
}

/// log Z on grids of resolution `start` (at least 8), 2·`start`, ... of `domain` (points in
/// `options`) until two successive values agree within `tol`, the resolution reaches
/// `max_resolution`, or a value is not finite (as [`Normaliser::log_z`]'s; `change` is then
/// not finite either). For spectrally convergent rules (all of [`Quadrature`]'s) the change
/// bounds the error of the previous value, so it is a conservative bound for the returned
/// one.
///
/// Errors: `InvalidArgument` unless `tol` ≥ 0 (not NaN); those of [`Normaliser::new`] and
/// [`Normaliser::log_z`].
pub fn converged_log_z(
    energy: &dyn Energy,
    domain: &dyn Quadrature,
    options: (Kind, Device),
    start: usize,
    tol: f64,
    max_resolution: usize,
) -> Result<LogZ> {
    if tol.is_nan() || tol < 0.0 {
        return Err(ManifoldError::InvalidArgument {
            name: "tol",
            value: tol,
            reason: "must be >= 0",
        });
    }
    let mut n = start.max(8);
    let mut previous = Normaliser::new(domain, n, options)?.log_z(energy)?;
    loop {
        let next_n = n.saturating_mul(2).min(max_resolution.max(n + 1));
        let value = Normaliser::new(domain, next_n, options)?.log_z(energy)?;
        let change = (value - previous).abs();
        if change <= tol || next_n >= max_resolution || !value.is_finite() {
            return Ok(LogZ {
                value,
                resolution: next_n,
                change,
            });
        }
        (n, previous) = (next_n, value);
    }
}
