//! The random 80/10/10 split of one run.

use tch::{Device, Kind, Tensor};

/// The fewest rows [`Split::random`] splits.
pub const MIN_POINTS: i64 = 30;

/// A train/validation/test split of a dataset's rows.
#[derive(Debug)]
pub struct Split {
    /// `[N_train, 3]` f64 unit vectors.
    pub train: Tensor,
    /// `[N_val, 3]`.
    pub val: Tensor,
    /// `[N_test, 3]`.
    pub test: Tensor,
}

impl Split {
    /// A random split of the rows of `points` (`[N, 3]`): ⌊N/10⌋ test rows, ⌊N/10⌋ validation
    /// rows, the rest (≈ 80 %) for training, from a permutation drawn by libtorch's
    /// generator seeded with `seed` (the same split for the same seed, whatever the method).
    pub fn random(points: &Tensor, seed: u64) -> anyhow::Result<Split> {
        let n = points.size()[0];
        anyhow::ensure!(
            n >= MIN_POINTS,
            "{n} points cannot be split 80/10/10 (at least {MIN_POINTS} are needed, so that \
             validation and test have 3 each)"
        );
        tch::manual_seed(seed.wrapping_mul(7919).wrapping_add(17) as i64);
        let perm = Tensor::randperm(n, (Kind::Int64, Device::Cpu));
        let tenth = n / 10;
        let part = |start: i64, len: i64| points.index_select(0, &perm.narrow(0, start, len));
        Ok(Split {
            train: part(2 * tenth, n - 2 * tenth),
            val: part(tenth, tenth),
            test: part(0, tenth),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::earth::data::to_unit_vectors;

    #[test]
    fn split_sizes_and_disjointness() {
        // Split::random reseeds the global generator: hold the lock.
        let _seed = mvl_manifold::testing::seeded(0);
        let y = to_unit_vectors(
            &(0..95)
                .map(|i| [i as f64 - 47.0, 2.0 * i as f64])
                .collect::<Vec<_>>(),
        );
        let s = Split::random(&y, 3).expect("95 points split");
        assert_eq!(
            (s.train.size()[0], s.val.size()[0], s.test.size()[0]),
            (77, 9, 9)
        );
        let all = Tensor::cat(&[&s.train, &s.val, &s.test], 0);
        let lat = all.select(1, 2).sort(0, false).0;
        assert!(
            (lat - y.select(1, 2).sort(0, false).0)
                .abs()
                .max()
                .double_value(&[])
                < 1e-15
        );
        let split = |seed| Split::random(&y, seed).expect("95 points split");
        assert!(split(3).test.equal(&s.test) && !split(4).test.equal(&s.test));
        let few = y.narrow(0, 0, MIN_POINTS - 1);
        let err = Split::random(&few, 3).expect_err("too few").to_string();
        assert!(err.contains("29 points cannot be split"), "{err}");
    }
}
