//! Table 1 from the summary rows: test NLL per cell (latent × encoder × nz) as mean ± sample
//! std over seeds, next to the paper's values.

use super::{AisProgress, Encoder, Latent, Row, ScoreObjective};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One cell of Table 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// Latent dimension.
    pub nz: i64,
    /// Latent geometry.
    pub latent: Latent,
    /// Encoder.
    pub encoder: Encoder,
    /// The implicit encoder's energy objective.
    pub objective: Option<ScoreObjective>,
    /// Evaluated seeds.
    pub seeds: usize,
    /// Mean test NLL over seeds (nats).
    pub nll_mean: f64,
    /// Sample std over seeds (0 for one seed).
    pub nll_std: f64,
    /// Training iterations, AIS test images and temperatures (the smallest over the seeds:
    /// a cell mixing budgets shows the smallest).
    pub iters: usize,
    /// AIS test images.
    pub test_images: usize,
    /// AIS temperatures.
    pub temps: usize,
    /// The paper's value (Table 1), for the MVL implicit and the explicit cells at nz 8 and 32.
    pub paper: Option<f64>,
}

/// The paper's Table 1 (test NLL, nats; paper-spec §8.1).
pub fn paper_value(nz: i64, latent: Latent, encoder: Encoder) -> Option<f64> {
    use {Encoder::*, Latent::*};
    Some(match (nz, latent, encoder) {
        (8, Euc, Explicit) => 96.45,
        (8, Sph, Explicit) => 95.47,
        (8, Euc, Implicit) => 95.84,
        (8, Sph, Implicit) => 94.72,
        (32, Euc, Explicit) => 90.28,
        (32, Sph, Explicit) => 91.32,
        (32, Euc, Implicit) => 90.33,
        (32, Sph, Implicit) => 88.81,
        _ => return None,
    })
}

/// The cells of the evaluated rows, in (nz, latent, encoder, objective) order.
pub fn cells(rows: &[Row]) -> Vec<Cell> {
    let mut groups: BTreeMap<_, Vec<&Row>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.evaluation.is_some()) {
        let s = row.spec;
        groups
            .entry((s.nz, s.latent, s.encoder, s.objective))
            .or_default()
            .push(row);
    }
    groups
        .into_iter()
        .map(|((nz, latent, encoder, objective), rs)| {
            let nll: Vec<f64> = rs
                .iter()
                .filter_map(|r| r.evaluation.map(|e| e.nll))
                .collect();
            let (mean, std) = crate::stats::mean_std(&nll);
            let min = |f: fn(&Row) -> usize| rs.iter().map(|r| f(r)).min().unwrap_or(0);
            let mvl_or_explicit = matches!(objective, None | Some(ScoreObjective::Mvl));
            Cell {
                nz,
                latent,
                encoder,
                objective,
                seeds: nll.len(),
                nll_mean: mean,
                nll_std: std,
                iters: min(|r| r.iters),
                test_images: min(|r| r.evaluation.map_or(0, |e| e.test_images)),
                temps: min(|r| r.evaluation.map_or(0, |e| e.temps)),
                paper: paper_value(nz, latent, encoder).filter(|_| mvl_or_explicit),
            }
        })
        .collect()
}

/// A paired comparison of two evaluated runs of one seed on the same test images: the mean
/// per-image NLL difference `a − b` and its standard error (the spread of the per-image
/// differences, which removes the images' own variation from the comparison).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paired {
    /// The run whose NLL is subtracted from.
    pub a: super::RunSpec,
    /// The other run.
    pub b: super::RunSpec,
    /// Images compared.
    pub images: usize,
    /// Mean of NLL(a) − NLL(b) over the images (nats; negative: a is better).
    pub mean: f64,
    /// Its standard error.
    pub std_error: f64,
}

/// The paired comparisons the paper's claims need, for every seed and nz where both runs are
/// evaluated with the same AIS settings: spherical − Euclidean for each encoder, implicit −
/// explicit for each geometry. `dir` is the experiment folder (`<out>/mnist-vae`).
pub fn paired(dir: &Path, rows: &[Row]) -> Vec<Paired> {
    let evaluated: Vec<&Row> = rows.iter().filter(|r| r.evaluation.is_some()).collect();
    let mut out = Vec::new();
    for a in &evaluated {
        for b in &evaluated {
            let (sa, sb) = (a.spec, b.spec);
            let same = sa.nz == sb.nz
                && sa.seed == sb.seed
                && a.evaluation.map(settings) == b.evaluation.map(settings);
            let geometry = sa.latent == Latent::Sph
                && sb.latent == Latent::Euc
                && sa.encoder == sb.encoder
                && sa.objective == sb.objective;
            let encoder = sa.encoder == Encoder::Implicit
                && sb.encoder == Encoder::Explicit
                && sa.latent == sb.latent
                && sa.objective != Some(ScoreObjective::Ssm)
                && sa.objective != Some(ScoreObjective::Dsm);
            if same
                && (geometry || encoder)
                && let Some(p) = compare(dir, a, b)
            {
                out.push(p);
            }
        }
    }
    out
}

fn settings(e: super::Evaluation) -> (usize, usize, usize) {
    (e.test_images, e.chains, e.temps)
}

/// The paired comparison of two evaluated rows from their per-image files.
fn compare(dir: &Path, a: &Row, b: &Row) -> Option<Paired> {
    let (ea, eb) = (a.evaluation?, b.evaluation?);
    let load = |r: &Row, e: super::Evaluation| {
        let path = AisProgress::path(&r.spec.dir(dir), e.test_images, e.chains, e.temps);
        AisProgress::load(&path)
            .ok()
            .filter(|p| p.images.len() == e.test_images)
    };
    let (pa, pb) = (load(a, ea)?, load(b, eb)?);
    let d: Vec<f64> = pa
        .images
        .iter()
        .zip(&pb.images)
        .map(|(x, y)| y.log_likelihood - x.log_likelihood)
        .collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    Some(Paired {
        a: a.spec,
        b: b.spec,
        images: d.len(),
        mean,
        std_error: (var / n).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::{Evaluation, RunSpec};

    fn row(
        encoder: Encoder,
        objective: Option<ScoreObjective>,
        seed: u64,
        nll: Option<f64>,
    ) -> Row {
        let spec = RunSpec {
            latent: Latent::Sph,
            nz: 8,
            encoder,
            objective,
            seed,
        };
        let evaluation = nll.map(|nll| Evaluation {
            test_images: 512,
            chains: 16,
            temps: 1000,
            nll,
            nll_se: Some(1.0),
            nll_ais_se: 0.1,
            eval_seconds: 1.0,
        });
        Row {
            spec,
            iters: 100_000,
            train_seconds: 1.0,
            final_neg_elbo: 90.0,
            evaluation,
        }
    }

    #[test]
    fn cells_average_evaluated_seeds_and_carry_the_paper_value() {
        let mvl = Some(ScoreObjective::Mvl);
        let rows = [
            row(Encoder::Implicit, mvl, 1, Some(94.0)),
            row(Encoder::Implicit, mvl, 2, Some(96.0)),
            row(Encoder::Implicit, mvl, 3, None),
            row(Encoder::Implicit, Some(ScoreObjective::Ssm), 1, Some(99.0)),
            row(Encoder::Explicit, None, 1, Some(95.0)),
        ];
        let cells = cells(&rows);
        assert_eq!(cells.len(), 3);
        let first = &cells[0];
        assert_eq!(
            (first.objective, first.seeds, first.paper),
            (mvl, 2, Some(94.72))
        );
        assert!(
            (first.nll_mean - 95.0).abs() < 1e-12 && (first.nll_std - 2f64.sqrt()).abs() < 1e-12
        );
        assert_eq!(cells[1].paper, None, "the paper has no SSM cell");
        assert_eq!(
            (cells[2].encoder, cells[2].nll_std, cells[2].paper),
            (Encoder::Explicit, 0.0, Some(95.47))
        );
    }

    /// Per-image files of two seed-1 runs (three images): the paired mean and its standard
    /// error by hand; runs evaluated with other AIS settings are not paired.
    #[test]
    fn paired_differences_use_the_same_images() {
        let dir = std::env::temp_dir().join(format!("mvl-paired-{}", std::process::id()));
        let mvl = Some(ScoreObjective::Mvl);
        let mut sph = row(Encoder::Implicit, mvl, 1, Some(0.0));
        let mut euc = sph.clone();
        euc.spec.latent = Latent::Euc;
        for (r, ll) in [
            (&mut sph, [-90.0, -95.0, -100.0]),
            (&mut euc, [-91.0, -95.5, -102.0]),
        ] {
            let e = r.evaluation.as_mut().expect("evaluated");
            e.test_images = 3;
            let images = ll
                .iter()
                .map(|&l| mvl_ae::ais::ImageEstimate {
                    log_likelihood: l,
                    std_error: 0.1,
                    effective_sample_size: 10.0,
                })
                .collect();
            let path = AisProgress::path(&r.spec.dir(&dir), 3, e.chains, e.temps);
            std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
            crate::output::write_json(
                &path,
                &AisProgress {
                    images,
                    seconds: 1.0,
                },
            )
            .expect("writes");
        }
        let pairs = paired(&dir, &[sph.clone(), euc.clone()]);
        assert_eq!(pairs.len(), 1);
        // Differences −1, −0.5, −2: mean −7/6, sample variance 7/12, se √(7/36).
        assert!((pairs[0].mean + 7.0 / 6.0).abs() < 1e-12, "{pairs:?}");
        assert!((pairs[0].std_error - (7.0f64 / 36.0).sqrt()).abs() < 1e-12);
        euc.evaluation.as_mut().expect("evaluated").temps = 100;
        assert!(paired(&dir, &[sph, euc]).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
