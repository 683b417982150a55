//! Process-wide allocator settings for libtorch's CPU tensors.

/// Above this size (bytes) an allocation gets its own memory mapping: glibc's largest
/// permitted threshold (`HEAP_MAX_SIZE / 2` on 64-bit systems), so that every tensor below
/// it comes from the heap and is reused after it is freed.
const MMAP_THRESHOLD: i32 = 32 << 20;

/// Free memory at the top of the heap is returned to the system only above this size
/// (bytes).
const TRIM_THRESHOLD: i32 = 512 << 20;

/// Keeps the memory of freed CPU tensors in the process for the next ones instead of handing
/// it back to the system and faulting it in again, page by page, at the next allocation.
///
/// libtorch allocates CPU tensors with `malloc`. glibc's defaults give large blocks their own
/// memory mappings and trim the heap top whenever more than twice the (adaptive) mapping
/// threshold is free, so a training step whose temporaries are a few hundred kilobytes each
/// pays for fresh, zero-filled pages every step: measured on the estimator workload
/// (`bench-estimators`, MLP 784→256→256→1, batch 128) 430 page faults per MVL step by
/// default and 8 with this setting, and the step time at d = 784 falls by about a seventh
/// (docs/results.md, "Allocation"). It sets glibc's `M_MMAP_THRESHOLD` to 32 MiB (the largest
/// value glibc accepts) and `M_TRIM_THRESHOLD` to 512 MiB, which also turns off glibc's
/// adaptive thresholds; the cost is that up to 512 MiB of freed memory stays with the
/// process. The same effect without code: `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=
/// 33554432:glibc.malloc.trim_threshold=536870912` in the environment.
///
/// The settings are process-wide and last until the process ends; call this once, early
/// (every training and benchmark binary of `mvl-experiments` does). Returns whether they
/// took effect: `false` on systems whose C library is not glibc, where it does nothing.
///
/// ```
/// assert_eq!(mvl_train::keep_freed_memory(), cfg!(all(target_os = "linux", target_env = "gnu")));
/// ```
pub fn keep_freed_memory() -> bool {
    set_thresholds()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_thresholds() -> bool {
    // SAFETY: mallopt takes plain integers, changes only malloc's tuning parameters under
    // malloc's own lock, and is safe to call at any time from any thread (glibc manual,
    // "Malloc Tunable Parameters"); it returns 1 on success and 0 on failure.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_thresholds() -> bool {
    false
}
