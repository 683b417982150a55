//! von Mises–Fisher sampling throughput of `VonMisesFisher`'s `TensorDistribution::sample` on
//! the CPU, f64 (the fused host kernel), 100 000 samples per iteration, for the (d, κ) points
//! at which SciPy 1.x `vonmises_fisher.rvs` was timed on this machine (single-threaded
//! NumPy): (3, 1) 4.6M/s, (3, 50) 5.2M/s, (9, 50) 1.4M/s, (33, 50) 0.48M/s, (129, 500)
//! 84k/s, (1001, 5000) 1.9k/s.
//!
//! Threads: `MVL_BENCH_THREADS` (default 1, the fair comparison with SciPy; the sampler splits
//! rows over libtorch's `get_num_threads` threads). For d ≥ 129 a large share of the time is the
//! first touch of the fresh output tensor (page faults, ~5 ns per f64 in this VM); NumPy maps
//! large arrays with transparent huge pages, which libtorch does when `THP_MEM_ALLOC_ENABLE=1`
//! is set in the environment. Run with
//! `cargo bench -p mvl-benches --bench manifold -- --warm-up-time 1 --measurement-time 3`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mvl_manifold::{TensorDistribution, VonMisesFisher};
use tch::Tensor;

const SAMPLES: i64 = 100_000;
const POINTS: [(i64, f64); 6] = [
    (3, 1.0),
    (3, 50.0),
    (9, 50.0),
    (33, 50.0),
    (129, 500.0),
    (1001, 5000.0),
];

fn vmf_sampling(c: &mut Criterion) {
    let threads = mvl_benches::configure();
    let mut group = c.benchmark_group(format!("vmf_sample_f64_cpu_{threads}thread"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(SAMPLES as u64));
    for (d, kappa) in POINTS {
        let mut loc = vec![0.0; d as usize];
        loc[0] = 1.0;
        let loc = Tensor::from_slice(&loc).view([1, d]);
        let vmf =
            VonMisesFisher::new(&loc, &Tensor::from_slice(&[kappa])).expect("valid parameters");
        let id = BenchmarkId::from_parameter(format!("d={d},kappa={kappa}"));
        group.bench_function(id, |b| b.iter(|| vmf.sample(SAMPLES)));
    }
    group.finish();
}

criterion_group!(benches, vmf_sampling);
criterion_main!(benches);
