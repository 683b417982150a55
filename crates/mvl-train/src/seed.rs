//! Seed derivation: one rule for every random stream of a run.
//!
//! libtorch has one global generator per device. A run that reseeds it from (seed, iteration)
//! before every step continues after a resume exactly as an uninterrupted run would; other
//! uses (data splits, initialisation, evaluation) take a stream named by their purpose, so they
//! never share a stream with training. Nothing in this crate seeds the generator unless the
//! caller asks for it ([`crate::TrainConfig::seed`], [`reseed`]).

/// A random stream of a run with a given seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream<'a> {
    /// The stream of one training iteration.
    Iteration(usize),
    /// A stream named by its purpose ("split", "init", "evaluation", ...).
    Purpose(&'a str),
}

/// The libtorch seed of `stream` in a run seeded with `seed`.
///
/// Iterations: `(seed · 1 000 003) XOR iteration` (the rule every committed result of this
/// project used). Purposes: `seed` XOR the 64-bit FNV-1a hash of the purpose's bytes (Fowler,
/// Noll, Vo), so distinct purposes give unrelated seeds.
pub fn derive(seed: u64, stream: Stream<'_>) -> i64 {
    let mixed = match stream {
        Stream::Iteration(i) => seed.wrapping_mul(1_000_003) ^ i as u64,
        Stream::Purpose(name) => seed ^ fnv1a(name.as_bytes()),
    };
    // tch takes i64; the bit pattern is kept.
    mixed as i64
}

/// Seeds libtorch's generators (CPU and CUDA) with [`fn@derive`]`(seed, stream)`.
pub fn reseed(seed: u64, stream: Stream<'_>) {
    tch::manual_seed(derive(seed, stream));
}

/// The 64-bit FNV-1a hash.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_streams_keep_the_committed_rule() {
        assert_eq!(derive(0, Stream::Iteration(5)), 5);
        assert_eq!(derive(3, Stream::Iteration(2)), (3_000_009u64 ^ 2) as i64);
    }

    #[test]
    fn purposes_differ_from_each_other_and_from_iterations() {
        let a = derive(7, Stream::Purpose("split"));
        let b = derive(7, Stream::Purpose("init"));
        assert_ne!(a, b);
        assert_ne!(a, derive(8, Stream::Purpose("split")));
        assert_ne!(a, derive(7, Stream::Iteration(0)));
        // FNV-1a reference value of "a" (published test vector).
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
