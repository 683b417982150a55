//! Table 2 from the summary rows: FID per cell (latent × method × nz × λ) as mean ± sample
//! std over seeds, next to the paper's values, and the paper's two findings checked on the
//! cells.

use super::{Flow, Method, WaeRow};
use crate::mnist::Latent;
use crate::stats::mean_std;
use serde::Serialize;
use std::collections::BTreeMap;

/// One cell of Table 2.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaeCell {
    /// Latent geometry.
    pub latent: Latent,
    /// Divergence estimator.
    pub method: Method,
    /// The MVL energy's sampler.
    pub flow: Option<Flow>,
    /// Latent dimension.
    pub nz: i64,
    /// The authors' `wae_lambda`.
    pub lambda: f64,
    /// Seeds.
    pub seeds: usize,
    /// Mean FID over seeds.
    pub fid_mean: f64,
    /// Sample std over seeds (0 for one seed).
    pub fid_std: f64,
    /// Training iterations (the smallest over the seeds).
    pub iters: usize,
    /// The paper's value, mean ± std (Table 2: nz 8, λ 10, Langevin MVL and WAE-GAN).
    pub paper: Option<(f64, f64)>,
}

/// The paper's Table 2 (FID, nz = 8, mean ± std; paper-spec §8.2).
pub fn paper_value(latent: Latent, method: Method) -> Option<(f64, f64)> {
    Some(match (latent, method) {
        (Latent::Euc, Method::Gan) => (24.59, 1.16),
        (Latent::Sph, Method::Gan) => (19.81, 1.13),
        (Latent::Euc, Method::Mvl) => (23.80, 1.06),
        (Latent::Sph, Method::Mvl) => (18.36, 0.73),
        _ => return None,
    })
}

/// The cells of the rows, in (nz, λ, method, flow, latent) order.
pub fn wae_cells(rows: &[WaeRow]) -> Vec<WaeCell> {
    let mut groups: BTreeMap<_, Vec<&WaeRow>> = BTreeMap::new();
    for row in rows {
        let s = row.spec;
        let key = (s.nz, s.lambda.to_bits(), s.method, s.flow, s.latent);
        groups.entry(key).or_default().push(row);
    }
    groups
        .into_values()
        .map(|rs| {
            let s = rs[0].spec;
            let fid: Vec<f64> = rs.iter().map(|r| r.fid).collect();
            let (fid_mean, fid_std) = mean_std(&fid);
            let paper_setting = s.nz == 8 && s.lambda == 10.0 && s.flow != Some(Flow::Spos);
            WaeCell {
                latent: s.latent,
                method: s.method,
                flow: s.flow,
                nz: s.nz,
                lambda: s.lambda,
                seeds: rs.len(),
                fid_mean,
                fid_std,
                iters: rs.iter().map(|r| r.iters).min().unwrap_or(0),
                paper: paper_value(s.latent, s.method).filter(|_| paper_setting),
            }
        })
        .collect()
}

/// One of the paper's findings, checked on two cells of the same nz and λ: `better` has a
/// lower mean FID than `worse`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What is claimed.
    pub claim: String,
    /// Mean FID of the cell claimed better, and of the other.
    pub fids: (f64, f64),
    /// Whether the claim holds on these means.
    pub holds: bool,
}

/// The paper's findings on the cells (Langevin MVL only): spherical better than Euclidean
/// for each method, and MVL at least as good as WAE-GAN in each geometry.
pub fn findings(cells: &[WaeCell]) -> Vec<Finding> {
    let find = |c: &WaeCell, latent, method| {
        cells.iter().find(|d| {
            (d.nz, d.lambda, d.latent, d.method) == (c.nz, c.lambda, latent, method)
                && d.flow != Some(Flow::Spos)
        })
    };
    let mut out = Vec::new();
    for c in cells.iter().filter(|c| c.flow != Some(Flow::Spos)) {
        let name = |latent: Latent, method: Method| format!("{latent:?}-{method:?}").to_lowercase();
        let mut check = |other: Option<&WaeCell>, claim: String, at_least: bool| {
            if let Some(o) = other {
                let holds = if at_least {
                    c.fid_mean <= o.fid_mean
                } else {
                    c.fid_mean < o.fid_mean
                };
                out.push(Finding {
                    claim,
                    fids: (c.fid_mean, o.fid_mean),
                    holds,
                });
            }
        };
        if c.latent == Latent::Sph {
            let claim = format!(
                "{} better than {} (nz {})",
                name(c.latent, c.method),
                name(Latent::Euc, c.method),
                c.nz
            );
            check(find(c, Latent::Euc, c.method), claim, false);
        }
        if c.method == Method::Mvl {
            let claim = format!(
                "{} at least as good as {} (nz {})",
                name(c.latent, c.method),
                name(c.latent, Method::Gan),
                c.nz
            );
            check(find(c, c.latent, Method::Gan), claim, true);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wae::WaeSpec;

    fn row(latent: Latent, method: Method, seed: u64, fid: f64) -> WaeRow {
        WaeRow {
            spec: WaeSpec {
                latent,
                method,
                flow: (method == Method::Mvl).then_some(Flow::Langevin),
                nz: 8,
                lambda: 10.0,
                seed,
            },
            iters: 50_000,
            fid,
            fid_samples: 10_000,
            classifier_accuracy: 0.985,
            train_seconds: 1.0,
            final_loss: 100.0,
        }
    }

    /// Two seeds per cell: mean and sample std; the paper's values on its cells; the
    /// findings compare cell means (one holds, one fails, MMD has no paper value).
    #[test]
    fn cells_and_findings() {
        use {Latent::*, Method::*};
        let rows = [
            row(Sph, Mvl, 1, 10.0),
            row(Sph, Mvl, 2, 12.0),
            row(Euc, Mvl, 1, 15.0),
            row(Sph, Gan, 1, 9.0),
            row(Euc, Gan, 1, 8.0),
            row(Sph, Mmd, 1, 20.0),
        ];
        let cells = wae_cells(&rows);
        assert_eq!(cells.len(), 5);
        let sph_mvl = cells.iter().find(|c| (c.latent, c.method) == (Sph, Mvl));
        let sph_mvl = sph_mvl.expect("cell");
        assert_eq!((sph_mvl.seeds, sph_mvl.fid_mean), (2, 11.0));
        assert!((sph_mvl.fid_std - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(sph_mvl.paper, Some((18.36, 0.73)));
        let mmd = cells.iter().find(|c| c.method == Mmd).expect("cell");
        assert_eq!(mmd.paper, None);
        let found: Vec<(String, bool)> = findings(&cells)
            .into_iter()
            .map(|f| (f.claim, f.holds))
            .collect();
        assert!(found.contains(&("sph-mvl better than euc-mvl (nz 8)".into(), true)));
        assert!(found.contains(&("sph-gan better than euc-gan (nz 8)".into(), false)));
        assert!(found.contains(&("sph-mvl at least as good as sph-gan (nz 8)".into(), false)));
        assert!(found.contains(&("euc-mvl at least as good as euc-gan (nz 8)".into(), false)));
        assert_eq!(found.len(), 4);
    }
}
