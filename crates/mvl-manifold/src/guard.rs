//! Turning a libtorch failure inside user code (an energy evaluated on a batch it cannot
//! take) into a message that the flows and objectives return as a typed error, and the cheap
//! finiteness test their checks start with.

use std::panic::{AssertUnwindSafe, catch_unwind};
use tch::{Kind, Tensor};

/// True when every element of `t` is finite (true for an empty tensor), the fast path of the
/// flows' and objectives' finiteness checks, which look for the first bad row only after this
/// says false. For floating kinds it costs one sum: a sum is finite only when every element is
/// (a NaN or ±∞ element makes it NaN or ±∞, in any order of summation); only when the sum is
/// not finite (a bad element, or finite elements whose sum overflows) are the elements tested
/// one by one. On a `[128, 784]` f32 batch the sum took 0.008 ms and the elementwise test
/// 0.14 ms, a third of an energy evaluation of the benchmark network.
///
/// ```
/// use tch::Tensor;
/// assert!(mvl_manifold::all_finite(&Tensor::from_slice(&[1.0f32, -3.0e38])));
/// // Finite elements whose sum overflows.
/// assert!(mvl_manifold::all_finite(&Tensor::from_slice(&[3.0e38f32, 3.0e38])));
/// assert!(!mvl_manifold::all_finite(&Tensor::from_slice(&[1.0, f64::NAN])));
/// assert!(!mvl_manifold::all_finite(&Tensor::from_slice(&[f64::INFINITY, f64::NEG_INFINITY])));
/// assert!(mvl_manifold::all_finite(&Tensor::from_slice(&[i64::MAX, 1])));
/// ```
pub fn all_finite(t: &Tensor) -> bool {
    let t = t.detach();
    let sum = match t.kind() {
        Kind::Float | Kind::Double => Some(t.sum(t.kind())),
        Kind::Half | Kind::BFloat16 => Some(t.sum(Kind::Float)),
        _ => None,
    };
    sum.is_some_and(|s| s.double_value(&[]).is_finite()) || t.isfinite().all().int64_value(&[]) == 1
}

/// Runs `f`; a panic in it (tch panics with libtorch's message when an infallible tensor
/// method fails, e.g. a network applied to a batch of the wrong width) becomes `Err` with the
/// first line of that message, without tch's `Torch("…")` wrapper and libtorch's backtrace.
/// The panic hook still runs (the default hook prints the panic to stderr).
///
/// ```
/// use tch::{Kind, Tensor};
/// let a = Tensor::ones([2, 3], (Kind::Float, tch::Device::Cpu));
/// let b = Tensor::ones([4, 5], (Kind::Float, tch::Device::Cpu));
/// let message = mvl_manifold::catch_torch(|| a.matmul(&b)).unwrap_err();
/// assert!(message.contains("cannot be multiplied"), "{message}");
/// ```
pub fn catch_torch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown libtorch error".to_owned());
        first_line(&message)
    })
}

/// The first line of libtorch's message, without the `Torch("…")` wrapper and backtrace.
fn first_line(message: &str) -> String {
    let start = message.find("Torch(\"").map_or(0, |i| i + 7);
    let rest = &message[start..];
    let end = rest
        .find("\\n")
        .into_iter()
        .chain(rest.find('\n'))
        .min()
        .unwrap_or(rest.len());
    rest[..end].trim_end_matches("\")").to_owned()
}
