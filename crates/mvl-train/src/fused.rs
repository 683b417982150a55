//! Adam's update of one parameter in one pass (`adam.cpp`, compiled by the build script against
//! libtorch's headers) instead of eight libtorch operations, each a pass over the parameter's
//! memory (docs/results.md, issue 16).
//!
//! With [`crate::memory`]'s `mallopt`, one of the workspace's two unsafe boundaries: a C call
//! on four tensors, as tch's own generated bindings make.
#![allow(unsafe_code)]

use tch::Tensor;

#[cfg(mvl_fused_adam)]
unsafe extern "C" {
    #[allow(clippy::too_many_arguments)]
    fn mvl_adam_step(
        theta: *mut torch_sys::C_tensor,
        grad: *mut torch_sys::C_tensor,
        m: *mut torch_sys::C_tensor,
        v: *mut torch_sys::C_tensor,
        w1: f64,
        w2: f64,
        eps_c2: f64,
        scale: f64,
        err: *mut std::ffi::c_char,
        err_len: usize,
    ) -> std::ffi::c_int;
}

/// The coefficients of one Adam step (see `Adam::step`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamCoefficients {
    /// 1 − β₁, the weight of the gradient in the first moment.
    pub w1: f64,
    /// 1 − β₂, the weight of the squared gradient in the second moment.
    pub w2: f64,
    /// ε·c₂.
    pub eps_c2: f64,
    /// −c₁/(lr·c₂).
    pub scale: f64,
}

/// Updates `theta`, `m` and `v` in place and zeroes `grad`, returning true; false (and nothing
/// changed) where the fused kernel does not apply (not all contiguous CPU tensors of one
/// floating kind and size; more than 32,768 elements, where libtorch's operations run on all
/// threads and are faster; or a build without libtorch's headers): the caller then makes the
/// same update with libtorch's operations.
#[cfg(mvl_fused_adam)]
pub(crate) fn adam_step(
    theta: &mut Tensor,
    grad: &mut Tensor,
    m: &mut Tensor,
    v: &mut Tensor,
    c: AdamCoefficients,
) -> bool {
    let mut err = [0 as std::ffi::c_char; 512];
    // SAFETY: four live tensors; the C++ side checks their kinds, devices, layouts and sizes
    // before it writes through their data pointers.
    let status = unsafe {
        mvl_adam_step(
            theta.as_mut_ptr(),
            grad.as_mut_ptr(),
            m.as_mut_ptr(),
            v.as_mut_ptr(),
            c.w1,
            c.w2,
            c.eps_c2,
            c.scale,
            err.as_mut_ptr(),
            err.len(),
        )
    };
    debug_assert!(status != 1, "mvl_adam_step failed: {:?}", unsafe {
        std::ffi::CStr::from_ptr(err.as_ptr())
    });
    status == 0
}

#[cfg(not(mvl_fused_adam))]
pub(crate) fn adam_step(
    _theta: &mut Tensor,
    _grad: &mut Tensor,
    _m: &mut Tensor,
    _v: &mut Tensor,
    _c: AdamCoefficients,
) -> bool {
    false
}

/// The same update with libtorch's operations (eight in-place passes), for the tensors
/// [`adam_step`] does not take.
pub(crate) fn libtorch_adam_step(
    theta: &mut Tensor,
    grad: &mut Tensor,
    m: &mut Tensor,
    v: &mut Tensor,
    c: AdamCoefficients,
) {
    let _ = m.lerp_(&*grad, c.w1);
    let _ = v.lerp_(&grad.square(), c.w2);
    let mut s = v.sqrt();
    let _ = s.g_add_scalar_(c.eps_c2);
    let _ = s.g_mul_scalar_(c.scale);
    let _ = theta.addcdiv_(&*m, &s);
    let _ = grad.zero_();
}

#[cfg(test)]
mod tests {
    use super::*;
    use mvl_manifold::testing::seeded;
    use tch::{Device, Kind};

    /// The fused step equals libtorch's operations within 3 units of the last place relative
    /// to each tensor's largest element (the two round the same arithmetic in different
    /// orders, and an element near zero after cancellation has no relative accuracy in
    /// either), f64 and f32 (0.9/0.999 weights, step 3's bias corrections), for sizes up to
    /// the largest the kernel takes; the gradient is zeroed.
    #[test]
    fn fused_step_equals_the_libtorch_operations() {
        let c = AdamCoefficients {
            w1: 0.1,
            w2: 0.001,
            eps_c2: 1e-8 * (1.0 - 0.999f64.powi(3)).sqrt(),
            scale: -(1.0 - 0.9f64.powi(3)) / (1e-3 * (1.0 - 0.999f64.powi(3)).sqrt()),
        };
        let _seed = seeded(7);
        for (kind, tol) in [
            (Kind::Double, 3.0 * f64::EPSILON),
            (Kind::Float, 3.0 * 1.2e-7),
        ] {
            for n in [1, 37, 4_099, 32_768] {
                let opts = (kind, Device::Cpu);
                let start = [
                    Tensor::randn([n], opts),
                    Tensor::randn([n], opts),
                    Tensor::randn([n], opts) * 0.1,
                    Tensor::rand([n], opts) * 0.01,
                ];
                let [mut t1, mut g1, mut m1, mut v1] = start.each_ref().map(Tensor::copy);
                let [mut t2, mut g2, mut m2, mut v2] = start.each_ref().map(Tensor::copy);
                assert!(
                    adam_step(&mut t1, &mut g1, &mut m1, &mut v1, c),
                    "{kind:?}: fused"
                );
                libtorch_adam_step(&mut t2, &mut g2, &mut m2, &mut v2, c);
                for (got, want) in [(&t1, &t2), (&m1, &m2), (&v1, &v2)] {
                    let err = (got - want).abs().max().double_value(&[])
                        / want.abs().max().double_value(&[]);
                    assert!(err <= tol, "{kind:?}, n = {n}: {err:e}");
                }
                assert_eq!(g1.abs().max().double_value(&[]), 0.0);
            }
        }
    }

    /// Tensors the kernel does not take are left alone (the caller's fallback runs).
    #[test]
    fn unsupported_tensors_are_left_alone() {
        let c = AdamCoefficients {
            w1: 0.1,
            w2: 0.001,
            eps_c2: 1e-8,
            scale: -10.0,
        };
        let _seed = seeded(8);
        let f32s = (Kind::Float, Device::Cpu);
        let ones = |n: i64, kind: Kind| Tensor::ones([n], (kind, Device::Cpu));
        let strided = Tensor::randn([4, 3], f32s).tr();
        assert!(!strided.is_contiguous());
        let cases = [
            // A strided parameter.
            [
                strided,
                Tensor::ones([3, 4], f32s),
                Tensor::ones([3, 4], f32s),
                Tensor::ones([3, 4], f32s),
            ],
            // Sizes that differ.
            [
                ones(5, Kind::Float),
                ones(5, Kind::Float),
                ones(5, Kind::Float),
                ones(4, Kind::Float),
            ],
            // Kinds that differ.
            [
                ones(5, Kind::Float),
                ones(5, Kind::Double),
                ones(5, Kind::Float),
                ones(5, Kind::Float),
            ],
            // Above libtorch's grain size.
            [
                ones(32_769, Kind::Float),
                ones(32_769, Kind::Float),
                ones(32_769, Kind::Float),
                ones(32_769, Kind::Float),
            ],
            // Not floating point.
            [
                ones(5, Kind::Int64),
                ones(5, Kind::Int64),
                ones(5, Kind::Int64),
                ones(5, Kind::Int64),
            ],
        ];
        for [mut theta, mut g, mut m, mut v] in cases {
            let before = theta.copy();
            assert!(!adam_step(&mut theta, &mut g, &mut m, &mut v, c));
            assert!(theta.equal(&before));
            assert!(g.abs().sum(Kind::Double).double_value(&[]) > 0.0);
        }
    }
}
