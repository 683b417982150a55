//! Turning a libtorch failure inside user code (an energy evaluated on a batch it cannot
//! take) into a message that the flows and objectives return as a typed error.

use std::panic::{AssertUnwindSafe, catch_unwind};

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
