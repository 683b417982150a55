//! Conformance suites: every closed form checked against its autograd default.
//!
//! Each implementation adds a one-line test calling the suite with a few points. The suites
//! panic with a message naming the property and the size of the discrepancy (they are test
//! helpers). Use f64 tensors.

pub mod props;

use crate::chart::{Chart, ChartEnergy, autograd_inv_metric_div, autograd_metric};
use crate::energy::{Energy, autograd_energy_and_grad, differentiable, grad_of_sum};
use crate::manifold::Manifold;
use crate::metric::{max_abs, row_dot};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tch::{Device, Tensor};

/// Seeds libtorch's global generator and holds a process-wide lock until the guard drops.
///
/// Cargo runs the tests of one binary on parallel threads, and they all share libtorch's one
/// global generator: without the lock, a seeded test draws from a stream its neighbours also
/// consume, so its "fixed" seed does not fix its numbers. Every seeded test takes the guard
/// (`let _seed = seeded(7);`) and is then reproducible run to run.
pub fn seeded(seed: i64) -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A test that panicked while holding the lock leaves nothing shared in a bad state.
    let guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    tch::manual_seed(seed);
    guard
}

/// The devices every conformance suite runs on: the CPU, and the first CUDA device when
/// there is one (suites that take points move them to each device; suites whose inputs carry
/// parameters check the device of their input, and their callers loop over this list).
pub fn devices() -> Vec<Device> {
    let mut all = vec![Device::Cpu];
    if tch::Cuda::is_available() {
        all.push(Device::Cuda(0));
    }
    all
}

fn assert_close(what: &str, a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.size(), b.size(), "{what}: shapes differ");
    let err = max_abs(&(a - b));
    let scale = 1.0 + max_abs(b);
    assert!(
        err <= tol * scale,
        "{what}: max deviation {err:e} > {tol:e} (scale {scale})"
    );
}

/// Checks a chart at chart points `x` (`[b, d]`, f64): the embedding round trip, the metric
/// (positive definite; equal to the pull-back JᵀJ when `pullback` is true, i.e. when the
/// chart's metric is the one induced by the Euclidean ambient space), Σⱼ∂ⱼg^{ij} and
/// ½ log det G and its gradient against autograd, `embed(x) = x` for a chart that says
/// [`Chart::is_identity_embedding`], and G = I with vanishing Σⱼ∂ⱼg^{ij} and ∇½log|G| for one
/// that says [`Chart::is_flat`].
pub fn check_chart<C: Chart + ?Sized>(chart: &C, x: &Tensor, pullback: bool) {
    let tol = 1e-9;
    assert_eq!(x.size()[1], chart.dim(), "chart dimension");
    assert_close(
        "coords(embed(x)) = x",
        &chart.coords(&chart.embed(x)),
        x,
        tol,
    );
    let g = chart.metric(x).matrix();
    let eig = g.linalg_eigvalsh("L");
    assert!(
        eig.min().double_value(&[]) > 0.0,
        "metric not positive definite"
    );
    if pullback {
        assert_close("metric = JᵀJ", &g, &autograd_metric(chart, x).matrix(), tol);
    }
    assert_close(
        "Σⱼ∂ⱼg^{ij}",
        &chart.inv_metric_div(x),
        &autograd_inv_metric_div(chart, x),
        1e-8,
    );
    assert_close(
        "½log|G|",
        &chart.half_log_det(x),
        &chart.metric(x).half_log_det(),
        tol,
    );
    let xg = differentiable(x);
    let auto = grad_of_sum(&chart.metric(&xg).half_log_det(), &xg);
    assert_close("∇½log|G|", &chart.half_log_det_grad(x), &auto, 1e-8);
    if chart.is_identity_embedding() {
        assert_close("identity embedding: embed(x) = x", &chart.embed(x), x, 0.0);
    }
    if chart.is_flat() {
        let b = x.size()[0];
        let eye = Tensor::eye(chart.dim(), (x.kind(), x.device())).expand([b, -1, -1], false);
        assert_close("flat: G = I", &g, &eye, 0.0);
        assert_close(
            "flat: Σⱼ∂ⱼg^{ij} = 0",
            &chart.inv_metric_div(x),
            &x.zeros_like(),
            0.0,
        );
        assert_close(
            "flat: ∇½log|G| = 0",
            &chart.half_log_det_grad(x),
            &x.zeros_like(),
            0.0,
        );
    }
}

/// Checks a manifold at ambient points `y` (`[b, n]`, f64, on the manifold): the points pass
/// `check_points`, `project` fixes them, `to_tangent` is idempotent and its image is
/// orthogonal to the normal where the manifold is a sphere-like level set (checked through
/// the chart: a tangent vector's curve stays on the manifold to first order), the chart at `y`
/// round-trips, and [`check_chart`] holds at the chart coordinates.
///
/// Runs on every device of [`devices`] (manifolds hold no tensors), moving `y` there.
pub fn check_manifold<M: Manifold>(m: &M, y: &Tensor, pullback: bool) {
    for device in devices() {
        check_manifold_on(m, &y.to_device(device), pullback);
    }
}

fn check_manifold_on<M: Manifold>(m: &M, y: &Tensor, pullback: bool) {
    let tol = 1e-9;
    m.check_points(y)
        .unwrap_or_else(|e| panic!("check_points rejected valid points: {e}"));
    assert_close("project(y) = y", &m.project(y), y, tol);
    let v = y.randn_like();
    let t = m.to_tangent(y, &v);
    assert_close("to_tangent idempotent", &m.to_tangent(y, &t), &t, tol);
    // The tangent projection must annihilate directions leaving the manifold: a short step
    // along it stays on the manifold up to second order.
    let h = 1e-4;
    let moved = y + &t * h;
    let err = max_abs(&(m.project(&moved) - &moved)) / (h * h);
    assert!(
        err < 10.0 * (1.0 + max_abs(&t).powi(2)),
        "to_tangent: off by {err}"
    );
    let chart = m.chart_at(y);
    let x = chart.coords(y);
    assert_close("embed(coords(y)) = y", &chart.embed(&x), y, tol);
    check_chart(&chart, &x, pullback);
}

/// Checks an energy at points `x` (`[b, n]`, f64): the value has shape `[b]`, `grad` and
/// `energy_and_grad` agree with autograd, and so does [`Energy::laplacian`] when the energy
/// provides it (against [`autograd_laplacian`]). Runs on `x`'s device (an energy's parameters
/// live on one device): callers loop over [`devices`].
pub fn check_energy<E: Energy + ?Sized>(e: &E, x: &Tensor) {
    let value = e.energy(x);
    assert_eq!(value.size(), vec![x.size()[0]], "energy shape");
    let (auto_value, auto_grad) = autograd_energy_and_grad(e, x);
    assert_close("energy", &value, &auto_value, 1e-12);
    assert_close("grad", &e.grad(x), &auto_grad, 1e-9);
    let (v2, g2) = e.energy_and_grad(x);
    assert_close("energy_and_grad value", &v2, &auto_value, 1e-12);
    assert_close("energy_and_grad grad", &g2, &auto_grad, 1e-9);
    if let Some(second) = e.laplacian(x) {
        assert_close("laplacian value", &second.energy, &auto_value, 1e-12);
        assert_close("laplacian grad", &second.grad, &auto_grad, 1e-9);
        let auto_laplacian = autograd_laplacian(e, x);
        assert_close("laplacian", &second.laplacian, &auto_laplacian, 1e-9);
    }
}

/// ΔₓE = Σⱼ ∂²E/∂xⱼ² at `x` by autograd, one backward pass per coordinate (`[b]`): the
/// reference for [`Energy::laplacian`].
pub fn autograd_laplacian<E: Energy + ?Sized>(e: &E, x: &Tensor) -> Tensor {
    let xg = differentiable(x);
    let (_, grad) = autograd_energy_and_grad(e, &xg);
    (0..x.size()[1])
        .map(|j| grad_of_sum(&grad.select(1, j), &xg).select(1, j))
        .fold(grad.select(1, 0).zeros_like(), |acc, t| acc + t)
}

/// Checks that a chart energy is E∘embed − ½log|G| and that its gradient is the chain rule
/// of the ambient gradient: ∇ₓE_chart = Jᵀ∇E(embed x) − ∇½log|G|.
pub fn check_chart_energy<C: Chart + ?Sized>(e: &dyn Energy, chart: &C, x: &Tensor) {
    let ce = ChartEnergy::new(e, chart);
    let expected = e.energy(&chart.embed(x)) - chart.half_log_det(x);
    assert_close("chart energy", &ce.energy(x), &expected, 1e-12);
    let xg = differentiable(x);
    let y = chart.embed(&xg);
    let pulled = grad_of_sum(&row_dot(&y, &e.grad(&y).detach()), &xg);
    let expected_grad = pulled - chart.half_log_det_grad(x);
    assert_close("chart energy grad", &ce.grad(x), &expected_grad, 1e-8);
}
