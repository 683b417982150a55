//! Softplus and its slope in one kernel and one autograd node (`softplus.cpp`, compiled by
//! the build script against libtorch's headers): the hidden layers of a softplus
//! [`super::MlpEnergy`] spend about as much time in libtorch's softplus, sigmoid and their
//! backward kernels as in their matrix products, and this does the same work in two passes
//! forward and one backward (docs/results.md, issue 16).
//!
//! The one unsafe boundary of this crate: a C call that takes a tensor and returns two, as
//! tch's own generated bindings do.
#![allow(unsafe_code)]

use tch::{Device, Kind, Tensor};

#[cfg(mvl_fused_softplus)]
unsafe extern "C" {
    fn mvl_softplus_with_slope(
        a: *const torch_sys::C_tensor,
        z: *mut *mut torch_sys::C_tensor,
        s: *mut *mut torch_sys::C_tensor,
        err: *mut std::ffi::c_char,
        err_len: usize,
    ) -> std::ffi::c_int;
}

/// (softplus(a), its slope): libtorch's softplus (β = 1, the identity above a > 20) and
/// sigmoid(a) (1 above the threshold), within a few units of the last place of libtorch's
/// values, with the parameter gradients of the two through one fused backward kernel (and
/// exact higher derivatives when a graph of the backward is built). `None` where the fused
/// kernel does not apply (not on the CPU, not f32 or f64, or a build without libtorch's
/// headers): the caller evaluates the two with libtorch's operations then.
pub(crate) fn softplus_with_slope(a: &Tensor) -> Option<(Tensor, Tensor)> {
    if a.device() != Device::Cpu || !matches!(a.kind(), Kind::Float | Kind::Double) {
        return None;
    }
    call(a)
}

#[cfg(mvl_fused_softplus)]
fn call(a: &Tensor) -> Option<(Tensor, Tensor)> {
    let mut z = std::ptr::null_mut();
    let mut s = std::ptr::null_mut();
    let mut err = [0 as std::ffi::c_char; 512];
    // SAFETY: `a` is a live tensor; on success the two pointers are new tensors that the C++
    // side allocated as tch's C API allocates its results, owned from here by `Tensor`.
    let status =
        unsafe { mvl_softplus_with_slope(a.as_ptr(), &mut z, &mut s, err.as_mut_ptr(), err.len()) };
    if status != 0 {
        // Inputs of the right device and kind do not fail; should libtorch still refuse,
        // its own operations (the caller's fallback) report the problem.
        debug_assert!(false, "mvl_softplus_with_slope failed: {:?}", unsafe {
            std::ffi::CStr::from_ptr(err.as_ptr())
        });
        return None;
    }
    // SAFETY: see above.
    unsafe { Some((Tensor::from_ptr(z), Tensor::from_ptr(s))) }
}

#[cfg(not(mvl_fused_softplus))]
fn call(_a: &Tensor) -> Option<(Tensor, Tensor)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::max_abs;
    use crate::testing::seeded;

    /// libtorch's pair: softplus, and sigmoid with softplus's threshold.
    fn reference(a: &Tensor) -> (Tensor, Tensor) {
        let slope = a.sigmoid().where_scalarother(&a.le(20.0), 1.0);
        (a.softplus(), slope)
    }

    /// The largest relative errors of the fused pair against libtorch's, in units of `eps`.
    fn errors(a: &Tensor, eps: f64) -> (f64, f64) {
        let (z, s) = softplus_with_slope(a).expect("CPU, f32/f64: fused");
        let (rz, rs) = reference(a);
        let scaled = |got: &Tensor, want: &Tensor| {
            let want = want.to_kind(Kind::Double);
            let err = (got.to_kind(Kind::Double) - &want).abs() / want.abs().clamp_min(1e-300);
            err.max().double_value(&[]) / eps
        };
        (scaled(&z, &rz), scaled(&s, &rs))
    }

    /// Values within 4 units of the last place of libtorch's, relative, over the whole range
    /// (tiny tails included) and at the threshold, in f64 and f32.
    #[test]
    fn values_match_libtorch() {
        for (kind, eps) in [(Kind::Double, f64::EPSILON), (Kind::Float, 1.2e-7)] {
            let mut a = Tensor::linspace(-80.0, 80.0, 200_001, (kind, Device::Cpu));
            let edges = [
                0.0, -0.0, 20.0, 19.999_999, 20.000_001, -20.0, 1e-30, -1e-30,
            ];
            a = Tensor::cat(&[a, Tensor::from_slice(&edges).to_kind(kind)], 0);
            let (ez, es) = errors(&a, eps);
            eprintln!("{kind:?}: softplus within {ez:.2} ulps, slope within {es:.2}");
            assert!(ez <= 4.0 && es <= 4.0, "{kind:?}: {ez} and {es} ulps");
        }
    }

    /// NaN stays NaN; ±∞ give libtorch's limits (∞, 1 and 0, 0); empty and strided inputs work.
    #[test]
    fn special_inputs() {
        let a = Tensor::from_slice(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        let (z, s) = softplus_with_slope(&a).expect("fused");
        let (z, s) = (
            Vec::<f64>::try_from(z).expect("f64"),
            Vec::<f64>::try_from(s).expect("f64"),
        );
        assert!(z[0].is_nan() && s[0].is_nan());
        assert_eq!((z[1], s[1], z[2], s[2]), (f64::INFINITY, 1.0, 0.0, 0.0));
        let empty = Tensor::zeros([0, 3], (Kind::Float, Device::Cpu));
        let (z, _) = softplus_with_slope(&empty).expect("fused");
        assert_eq!(z.size(), vec![0, 3]);
        let _seed = seeded(81);
        let strided = Tensor::randn([5, 7], (Kind::Double, Device::Cpu)).tr();
        let (z, s) = softplus_with_slope(&strided).expect("fused");
        let (rz, rs) = reference(&strided);
        assert!(max_abs(&(z - rz)) < 1e-15 && max_abs(&(s - rs)) < 1e-15);
        let int = Tensor::from_slice(&[1i64, 2]);
        assert!(softplus_with_slope(&int).is_none());
    }

    /// First and second derivatives through the fused node equal autograd's through
    /// libtorch's operations (f64, both sides of the threshold).
    #[test]
    fn derivatives_match_autograd() {
        let _seed = seeded(82);
        let opts = (Kind::Double, Device::Cpu);
        let a0 = Tensor::randn([64, 9], opts) * 12.0;
        let (gz, gs, v) = (
            Tensor::randn([64, 9], opts),
            Tensor::randn([64, 9], opts),
            Tensor::randn([64, 9], opts),
        );
        let derivatives = |pair: &dyn Fn(&Tensor) -> (Tensor, Tensor)| {
            let a = a0.copy().set_requires_grad(true);
            let (z, s) = pair(&a);
            let scalar = (z * &gz + s * &gs).sum(Kind::Double);
            let first = Tensor::run_backward(&[scalar], &[&a], true, true).remove(0);
            let second =
                Tensor::run_backward(&[(&first * &v).sum(Kind::Double)], &[&a], false, false)
                    .remove(0);
            (first, second)
        };
        let (f1, f2) = derivatives(&|a| softplus_with_slope(a).expect("fused"));
        let (r1, r2) = derivatives(&reference);
        assert!(max_abs(&(f1 - r1)) < 1e-14);
        assert!(max_abs(&(f2 - r2)) < 1e-14);
        // Without a graph of the backward: the fused backward kernel, z alone and the pair.
        let a = a0.copy().set_requires_grad(true);
        let (z, s) = softplus_with_slope(&a).expect("fused");
        (z * &gz + s * &gs).sum(Kind::Double).backward();
        let (r1, _) = derivatives(&reference);
        assert!(max_abs(&(a.grad() - r1)) < 1e-14);
        let a = a0.copy().set_requires_grad(true);
        (softplus_with_slope(&a).expect("fused").0 * &gz)
            .sum(Kind::Double)
            .backward();
        let want = reference(&a0).1 * &gz;
        assert!(max_abs(&(a.grad() - want)) < 1e-14);
    }
}
