//! Criterion benchmarks live in `benches/`; this library holds what they share.

/// Sets libtorch's intra-op threads from `MVL_BENCH_THREADS` (default 1: the fair comparison
/// with single-threaded SciPy, and stable timings on a shared 2-core machine), seeds libtorch
/// with 0, and returns the thread count for the benchmark group's name.
pub fn configure() -> i32 {
    let threads = std::env::var("MVL_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    tch::set_num_threads(threads);
    tch::manual_seed(0);
    threads
}
