//! Expectation–maximisation for vMF mixtures ("soft-moVMF", Banerjee et al. 2005, JMLR 6,
//! §4), with k-means++ initialisation (Arthur & Vassilvitskii 2007) on the chordal distance.

use super::{EM_KAPPA_MAX, VmfMixture};
use crate::error::{ManifoldError, Result};
use crate::von_mises_fisher::{VonMisesFisher, check_unit_rows, host_values, solve_concentration};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tch::{Kind, Tensor};

/// Components with less total responsibility than this are re-seeded.
const DEAD_MASS: f64 = 1e-8;

/// Draws an index with probability ∝ `weights` (uniformly when they sum to 0).
fn draw_index(weights: &[f64], rng: &mut StdRng) -> usize {
    let total: f64 = weights.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return rng.random_range(0..weights.len());
    }
    let mut u = rng.random::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        u -= w;
        if u < 0.0 && w > 0.0 {
            return i;
        }
    }
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// k-means++ seeding: returns the indices of k data points; the squared chordal distance to
/// the nearest chosen point is 2 − 2 max_j xᵀc_j.
fn kmeans_pp(x: &Tensor, k: i64, rng: &mut StdRng) -> Vec<i64> {
    let n = x.size()[0];
    let mut chosen = vec![rng.random_range(0..n)];
    let mut best = x.matmul(&x.get(chosen[0]));
    while (chosen.len() as i64) < k {
        let d2: Vec<f64> = host_values(&(&best * -2.0 + 2.0).clamp_min(0.0));
        let next = draw_index(&d2, rng) as i64;
        chosen.push(next);
        best = best.maximum(&x.matmul(&x.get(next)));
    }
    chosen
}

/// Rows per chunk of the E step (keeps the `[rows, K]` temporaries small: cache-resident and
/// served by the heap, not by fresh pages).
const CHUNK_ROWS: i64 = 1024;

/// What the M step needs from the data: Σ_n γ_nk (`[K]`), Σ_n γ_nk x_n (`[K, m]`), and a
/// badness per point (`[N]`, larger for points the current fit explains worse).
struct Stats {
    mass: Tensor,
    sums: Tensor,
    badness: Tensor,
}

/// The statistics of a hard assignment of each point to its most similar seed.
fn hard_stats(x: &Tensor, seeds: &Tensor, k: i64) -> Stats {
    let sim = x.matmul(&x.index_select(0, seeds).transpose(0, 1));
    let (best, assign) = sim.max_dim(1, false);
    let m = x.size()[1];
    let opts = (Kind::Double, x.device());
    Stats {
        mass: Tensor::zeros([k], opts).index_add(0, &assign, &best.ones_like()),
        sums: Tensor::zeros([k, m], opts).index_add(0, &assign, x),
        badness: -best,
    }
}

/// The E step in row chunks: the statistics under the responsibilities
/// γ_nk = w_k vMF_k(x_n)/Σ_j w_j vMF_j(x_n), and the mean log-likelihood.
fn e_step(mix: &VmfMixture, x: &Tensor) -> (Stats, f64) {
    let (n, m, k) = (x.size()[0], x.size()[1], mix.num_components());
    let (natural, bias) = mix.logit_parts();
    let bias = bias.unsqueeze(0);
    let opts = (Kind::Double, x.device());
    let (mut mass, mut sums) = (Tensor::zeros([k], opts), Tensor::zeros([k, m], opts));
    let mut lls = Vec::new();
    for start in (0..n).step_by(CHUNK_ROWS as usize) {
        let xc = x.narrow(0, start, CHUNK_ROWS.min(n - start));
        let logits = bias.addmm(&xc, &natural);
        // γ = softmax(logits) and ln Σ_k e^{logits} with a single exp pass; terms below
        // e^{-700} relative to the largest are immaterial, and clamping them keeps exp off
        // its slow subnormal path (with K in the hundreds most terms are that small).
        let top = logits.amax([1], true);
        let mut gamma = (logits - &top).clamp_min_(-700.0).exp_();
        let total = gamma.sum_dim_intlist(1, true, Kind::Double);
        let _ = gamma.divide_(&total);
        let lse = top + total.log();
        mass += gamma.sum_dim_intlist(0, false, Kind::Double);
        sums += gamma.transpose(0, 1).matmul(&xc);
        lls.push(lse.squeeze_dim(1));
    }
    let point_ll = Tensor::cat(&lls, 0);
    let mean = point_ll.mean(Kind::Double).double_value(&[]);
    (
        Stats {
            mass,
            sums,
            badness: -point_ll,
        },
        mean,
    )
}

/// The M step: μ_k ∝ Σ_n γ_nk x_n, κ_k solving A_m(κ_k) = |Σ_n γ_nk x_n|/Σ_n γ_nk (capped at
/// [`EM_KAPPA_MAX`]), w_k ∝ Σ_n γ_nk (Banerjee et al. 2005, §4). Components with
/// mass below [`DEAD_MASS`] move to the points with the largest badness, with the median live
/// concentration and weight 1/N.
fn m_step(x: &Tensor, stats: &Stats) -> VmfMixture {
    let (n, m) = (x.size()[0], x.size()[1]);
    let mass = host_values(&stats.mass);
    let norms = host_values(&stats.sums.norm_scalaropt_dim(2, [1], false));
    let live = |k: usize| mass[k] >= DEAD_MASS && norms[k] > 0.0;
    let mut kappas: Vec<f64> = (0..mass.len())
        .map(|k| {
            if live(k) {
                solve_concentration(m, (norms[k] / mass[k]).min(1.0), EM_KAPPA_MAX)
            } else {
                f64::NAN
            }
        })
        .collect();
    let mut weights: Vec<f64> = mass.iter().map(|&r| r / n as f64).collect();
    let dev = x.device();
    let locs = &stats.sums
        / Tensor::from_slice(&norms)
            .to_device(dev)
            .clamp_min(f64::MIN_POSITIVE)
            .unsqueeze(1);
    let dead: Vec<usize> = (0..mass.len()).filter(|&k| !live(k)).collect();
    if !dead.is_empty() {
        let mut alive: Vec<f64> = kappas.iter().copied().filter(|k| !k.is_nan()).collect();
        alive.sort_by(f64::total_cmp);
        let median = alive.get(alive.len() / 2).copied().unwrap_or(1.0);
        let worst = stats.badness.topk(dead.len() as i64, 0, true, true).1;
        for (j, &k) in dead.iter().enumerate() {
            locs.get(k as i64)
                .copy_(&x.get(worst.int64_value(&[j as i64])));
            kappas[k] = median;
            weights[k] = 1.0 / n as f64;
        }
    }
    let total: f64 = weights.iter().sum();
    let w = Tensor::from_slice(&weights).to_device(dev) / total;
    VmfMixture {
        components: VonMisesFisher::from_unit(locs, Tensor::from_slice(&kappas).to_device(dev)),
        log_weights: w.log(),
    }
}

/// Checks the data and arguments of [`VmfMixture::fit_em`].
fn check_fit_args(x: &Tensor, k: i64, iters: i64) -> Result<()> {
    let (n, _) = check_unit_rows("VmfMixture::fit_em", x)?;
    if k < 1 {
        return Err(ManifoldError::InvalidArgument {
            name: "k",
            value: k as f64,
            reason: "need at least one component",
        });
    }
    if iters < 0 {
        return Err(ManifoldError::InvalidArgument {
            name: "iters",
            value: iters as f64,
            reason: "must be >= 0",
        });
    }
    if n < k {
        return Err(ManifoldError::NotEnoughData {
            what: "VmfMixture::fit_em",
            min: k,
            got: n,
        });
    }
    Ok(())
}

impl VmfMixture {
    /// Fits a K-component mixture to the rows of `x` (`[N, m]`, unit vectors) by EM: k-means++
    /// seeding from a `StdRng` seeded with `seed` (deterministic), one hard-assignment M step,
    /// then up to `iters` EM steps, stopping early when the mean log-likelihood changes by less
    /// than 1e-12 relative. Computed in f64 on `x`'s device and returned in `x`'s kind.
    ///
    /// Robust for many components (K in the hundreds): concentrations are capped at
    /// [`EM_KAPPA_MAX`] (a component on a single point), and a component that loses all its
    /// responsibility (mass < 1e-8) is re-seeded at the worst-explained data point, so no
    /// parameter is ever NaN.
    ///
    /// Errors: `ShapeMismatch`, `InvalidDimension`, `OffManifold` for bad data;
    /// `InvalidArgument` for k < 1 or iters < 0; `NotEnoughData` when N < k.
    pub fn fit_em(x: &Tensor, k: i64, iters: i64, seed: u64) -> Result<VmfMixture> {
        check_fit_args(x, k, iters)?;
        let kind = x.kind();
        let x = x.detach().to_kind(Kind::Double);
        let mut rng = StdRng::seed_from_u64(seed);
        let seeds = Tensor::from_slice(&kmeans_pp(&x, k, &mut rng)).to_device(x.device());
        let mut mix = m_step(&x, &hard_stats(&x, &seeds, k));
        let mut previous = f64::NEG_INFINITY;
        for _ in 0..iters {
            let (stats, ll) = e_step(&mix, &x);
            mix = m_step(&x, &stats);
            if (ll - previous).abs() <= 1e-12 * ll.abs().max(1.0) {
                break;
            }
            previous = ll;
        }
        let c = mix.components;
        let to = |t: &Tensor| t.to_kind(kind);
        Ok(VmfMixture {
            components: VonMisesFisher::from_unit(to(c.loc()), to(c.concentration())),
            log_weights: to(&mix.log_weights),
        })
    }
}
