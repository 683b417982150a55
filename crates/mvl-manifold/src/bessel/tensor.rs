//! The Bessel functions over tensors, differentiable in their argument.
//!
//! libtorch has no general-order Bessel function and tch no custom autograd functions, so the
//! values are computed in f64 on the CPU by the scalar routines and the analytic derivative is
//! attached with the identity value + (x − x.detach())·f′(x).detach(): its forward value is
//! f(x) and its gradient with respect to x is f′(x) (first order only).

use super::{bessel_ratio, bessel_ratio_complement, bessel_ratio_derivative};
use super::{log_iv, log_iv_normalized, log_ive_normalized};
use std::collections::HashMap;
use tch::{Device, Kind, Tensor};

/// Applies `f` (value, derivative) elementwise in f64 on the CPU; returns a tensor of `x`'s
/// shape, floating kind and device, with the derivative attached as its gradient.
pub(crate) fn map_with_derivative(x: &Tensor, f: impl Fn(f64) -> (f64, f64)) -> Tensor {
    let kind = if x.is_floating_point() {
        x.kind()
    } else {
        Kind::Double
    };
    let host = x
        .detach()
        .to_kind(Kind::Double)
        .to_device(Device::Cpu)
        .flatten(0, -1);
    let input = Vec::<f64>::try_from(&host).expect("invariant: a flat f64 CPU tensor converts");
    // Batches often repeat values (one κ per distribution, n draws each): evaluate each once.
    let mut seen: HashMap<u64, (f64, f64)> = HashMap::new();
    let (values, derivs): (Vec<f64>, Vec<f64>) = input
        .into_iter()
        .map(|v| *seen.entry(v.to_bits()).or_insert_with(|| f(v)))
        .unzip();
    let back = |v: &[f64]| {
        Tensor::from_slice(v)
            .reshape(x.size())
            .to_kind(kind)
            .to_device(x.device())
    };
    let value = back(&values);
    if !x.requires_grad() {
        return value;
    }
    let x = x.to_kind(kind);
    value + (&x - x.detach()) * back(&derivs)
}

/// Applies `f` elementwise in f64 on the CPU, without gradient (`x` is detached).
pub(crate) fn map_values(x: &Tensor, f: impl Fn(f64) -> f64) -> Tensor {
    map_with_derivative(&x.detach(), |v| (f(v), 0.0))
}

/// ln I_ν(x) elementwise, with d/dx ln I_ν(x) = I_{ν+1}(x)/I_ν(x) + ν/x.
///
/// # Shapes
/// `x`: any shape, result the same shape, kind and device (f64 inside).
pub fn log_iv_tensor(nu: f64, x: &Tensor) -> Tensor {
    // d/dx ln I_ν = R + ν/x; at x = 0 it is 0 for ν = 0 (I₀′(0) = 0) and +∞ otherwise.
    let slope = move |v: f64| {
        if v == 0.0 && nu == 0.0 {
            0.0
        } else {
            bessel_ratio(nu, v) + nu / v
        }
    };
    map_with_derivative(x, |v| (log_iv(nu, v), slope(v)))
}

/// ln ₀F₁(; ν+1; x²/4) elementwise ([`super::log_iv_normalized`]), with derivative
/// I_{ν+1}(x)/I_ν(x).
///
/// # Shapes
/// `x`: any shape, result the same shape, kind and device.
pub fn log_iv_normalized_tensor(nu: f64, x: &Tensor) -> Tensor {
    map_with_derivative(x, |v| (log_iv_normalized(nu, v), bessel_ratio(nu, v)))
}

/// ln(₀F₁(; ν+1; x²/4) e^{−x}) elementwise ([`super::log_ive_normalized`], accurate at any
/// large x), with derivative I_{ν+1}(x)/I_ν(x) − 1.
///
/// # Shapes
/// `x`: any shape, result the same shape, kind and device.
pub fn log_ive_normalized_tensor(nu: f64, x: &Tensor) -> Tensor {
    map_with_derivative(x, |v| {
        (log_ive_normalized(nu, v), -bessel_ratio_complement(nu, v))
    })
}

/// 1 − I_{ν+1}(x)/I_ν(x) elementwise ([`super::bessel_ratio_complement`], accurate where the
/// ratio is close to 1), with derivative −(1 − R² − (2ν+1)R/x).
///
/// # Shapes
/// `x`: any shape, result the same shape, kind and device.
pub fn bessel_ratio_complement_tensor(nu: f64, x: &Tensor) -> Tensor {
    map_with_derivative(x, |v| {
        (
            bessel_ratio_complement(nu, v),
            -bessel_ratio_derivative(nu, v),
        )
    })
}

/// I_{ν+1}(x)/I_ν(x) elementwise, with derivative 1 − R² − (2ν+1)R/x.
///
/// # Shapes
/// `x`: any shape, result the same shape, kind and device.
pub fn bessel_ratio_tensor(nu: f64, x: &Tensor) -> Tensor {
    map_with_derivative(x, |v| (bessel_ratio(nu, v), bessel_ratio_derivative(nu, v)))
}

/// The vMF mean resultant length A_d(κ) = I_{d/2}(κ)/I_{d/2−1}(κ) elementwise, with
/// dA/dκ = 1 − A² − (d−1)A/κ attached.
///
/// # Shapes
/// `kappa`: any shape (typically `[b]`), result the same shape, kind and device.
pub fn mean_resultant_length_tensor(d: i64, kappa: &Tensor) -> Tensor {
    bessel_ratio_tensor(0.5 * d as f64 - 1.0, kappa)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::energy::{differentiable, grad_of_sum};
    use crate::metric::max_abs;

    #[test]
    fn values_and_gradients_match_scalars() {
        let k = Tensor::from_slice(&[0.5f64, 3.0, 40.0, 2000.0]);
        let kg = differentiable(&k);
        let out = log_iv_tensor(15.5, &kg);
        for (i, &v) in [0.5f64, 3.0, 40.0, 2000.0].iter().enumerate() {
            assert_eq!(out.double_value(&[i as i64]), log_iv(15.5, v));
        }
        // Gradient against central differences of the scalar routine.
        let g = grad_of_sum(&out, &kg);
        let h = 1e-6;
        let fd: Vec<f64> = [0.5f64, 3.0, 40.0, 2000.0]
            .iter()
            .map(|&v| (log_iv(15.5, v + h * v) - log_iv(15.5, v - h * v)) / (2.0 * h * v))
            .collect();
        let fd = Tensor::from_slice(&fd);
        assert!(max_abs(&((g - &fd) / fd.abs())) < 1e-7);
    }

    #[test]
    fn follows_kind_and_skips_graph_without_grad() {
        let k = Tensor::from_slice(&[1.0f32, 2.0]).view([2, 1]);
        let a = mean_resultant_length_tensor(3, &k);
        assert_eq!(a.kind(), Kind::Float);
        assert_eq!(a.size(), vec![2, 1]);
        assert!(!a.requires_grad());
        let exact = 1.0 / 2.0f64.tanh() - 0.5;
        assert!((a.double_value(&[1, 0]) - exact).abs() < 1e-6);
    }

    #[test]
    fn ratio_gradient_is_the_analytic_derivative() {
        let k = differentiable(&Tensor::from_slice(&[0.1f64, 7.0, 900.0]));
        let r = bessel_ratio_tensor(2.5, &k);
        let g = grad_of_sum(&r, &k);
        for (i, v) in [0.1f64, 7.0, 900.0].into_iter().enumerate() {
            assert_eq!(g.double_value(&[i as i64]), bessel_ratio_derivative(2.5, v));
        }
        let n = differentiable(&Tensor::from_slice(&[0.0f64, 1.0]));
        let g0 = grad_of_sum(&log_iv_normalized_tensor(1.0, &n), &n);
        assert_eq!(g0.double_value(&[0]), 0.0);
        assert_eq!(g0.double_value(&[1]), bessel_ratio(1.0, 1.0));
    }
}
