//! The CPU sampler: the scalar kernel of [`crate::vmf_rand`] run over the rows in parallel
//! chunks, with one fused pass per row (the tangent normals are drawn, reduced and rotated while
//! they are in cache). libtorch's CPU generator (~50M normals/s) would dominate otherwise.
//!
//! Each chunk of about 8 192 values is filled in a small reused buffer and copied into its
//! rows of the output tensor, so no second full-size array is ever touched.
//!
//! Randomness: one 63-bit seed is drawn from libtorch's generator per call, so `tch::manual_seed`
//! makes the output reproducible; chunk i uses Xoshiro256++ seeded with seed + i, so the result
//! does not depend on the number of threads (libtorch's `get_num_threads`).

use super::{VonMisesFisher, host_values};
use crate::vmf_rand::VmfKernel;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use tch::{Device, Kind, Tensor};

/// Values per independently seeded chunk (64 KiB of f64: below glibc's mmap threshold and
/// libtorch's parallel grain).
const CHUNK_VALUES: usize = 8_192;

/// What every chunk needs: unit mean directions (b·m values), one kernel per row, the seed.
struct Plan {
    mu: Vec<f64>,
    kernels: Vec<VmfKernel>,
    seed: u64,
    m: usize,
    rows_per_chunk: usize,
}

impl Plan {
    /// Fills `buf` with the rows of chunk `index` (`buf.len()/m` rows).
    fn fill(&self, index: usize, buf: &mut [f64]) {
        let (b, m) = (self.kernels.len(), self.m);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed.wrapping_add(index as u64));
        for (r, row) in buf.chunks_mut(m).enumerate() {
            let j = (index * self.rows_per_chunk + r) % b;
            self.kernels[j].sample_into(&self.mu[j * m..(j + 1) * m], &mut rng, row);
        }
    }

    /// Fills chunks `first, first + step, …` of `out` (`[total, m]` f64).
    fn run(&self, out: Tensor, first: usize, step: usize) {
        let total = out.size()[0] as usize;
        let mut buf = vec![0.0; self.rows_per_chunk * self.m];
        let mut index = first;
        while index * self.rows_per_chunk < total {
            let start = index * self.rows_per_chunk;
            let rows = self.rows_per_chunk.min(total - start);
            let chunk = &mut buf[..rows * self.m];
            self.fill(index, chunk);
            let src = Tensor::from_slice(chunk).view([rows as i64, self.m as i64]);
            out.narrow(0, start as i64, rows as i64).copy_(&src);
            index += step;
        }
    }
}

impl VonMisesFisher {
    /// `n` draws per row on the CPU as `[n·b, m]` (row i·b + j from distribution j), no graph.
    pub(super) fn draw_host(&self, n: i64) -> Tensor {
        let (b, m) = (self.batch_size(), self.m);
        let total = n.max(0) * b;
        let out = Tensor::empty([total, m], (Kind::Double, Device::Cpu));
        if total > 0 {
            let plan = Plan {
                mu: host_values(&self.loc),
                kernels: host_values(&self.concentration)
                    .iter()
                    .map(|&k| VmfKernel::new(m, k))
                    .collect(),
                seed: Tensor::randint(i64::MAX, [1], (Kind::Int64, Device::Cpu)).int64_value(&[0])
                    as u64,
                m: m as usize,
                rows_per_chunk: (CHUNK_VALUES / m as usize).max(1),
            };
            let chunks = (total as usize).div_ceil(plan.rows_per_chunk);
            let threads = (tch::get_num_threads().max(1) as usize).min(chunks);
            if threads == 1 {
                plan.run(out.shallow_clone(), 0, 1); // no thread start-up for small draws
            } else {
                std::thread::scope(|scope| {
                    for t in 0..threads {
                        let (plan, dst) = (&plan, out.shallow_clone());
                        scope.spawn(move || plan.run(dst, t, threads));
                    }
                });
            }
        }
        out.to_kind(self.loc.kind())
    }
}
