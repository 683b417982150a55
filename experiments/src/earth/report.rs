//! Results of the earth experiments: the summary rows (one per dataset, method and seed),
//! the mean ± std table over seeds, and maps of the learned densities.

use super::Dataset;
use super::methods::{Method, Outcome};
use crate::output::{read_json_or_default, write_atomic, write_json};
use crate::plot::{MapPanel, heat_map};
use anyhow::Result;
use mvl_manifold::integration::Grid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// One (dataset, method, seed) result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// The data set.
    pub dataset: Dataset,
    /// The method.
    pub method: Method,
    /// The seed (split and initialisation).
    pub seed: u64,
    /// Test NLL, nats w.r.t. area on the unit sphere.
    pub test_nll: f64,
    /// Validation NLL of the chosen model.
    pub val_nll: f64,
    /// Training steps (see [`Outcome::steps`]).
    pub steps: usize,
    /// Wall-clock seconds of the run (fit, selection and evaluation; for a resumed run,
    /// including the training time of earlier invocations).
    pub seconds: f64,
    /// Training points.
    pub n_train: i64,
    /// What was chosen on validation.
    pub chosen: serde_json::Value,
}

impl Row {
    /// The row of a finished run.
    pub fn new(
        dataset: Dataset,
        method: Method,
        seed: u64,
        outcome: &Outcome,
        seconds: f64,
        n_train: i64,
    ) -> Self {
        Self {
            dataset,
            method,
            seed,
            test_nll: outcome.test_nll,
            val_nll: outcome.val_nll,
            steps: outcome.steps,
            seconds,
            n_train,
            chosen: outcome.chosen.clone(),
        }
    }
}

/// Mean and sample standard deviation of one (dataset, method) cell over seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    /// The data set.
    pub dataset: Dataset,
    /// The method.
    pub method: Method,
    /// Number of seeds.
    pub seeds: usize,
    /// Mean test NLL.
    pub test_nll_mean: f64,
    /// Sample standard deviation of the test NLL (0 for one seed).
    pub test_nll_std: f64,
    /// Mean wall-clock seconds per run.
    pub seconds_mean: f64,
}

/// All rows, kept across invocations.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    /// One row per dataset, method and seed.
    pub runs: Vec<Row>,
    /// Mean ± std per dataset and method (recomputed on every write).
    #[serde(default)]
    pub table: Vec<Cell>,
}

impl Summary {
    /// The summary at `path`, or an empty one when the file does not exist.
    pub fn load(path: &Path) -> Result<Self> {
        read_json_or_default(path)
    }

    /// Adds `row`, replacing a row of the same dataset, method and seed.
    pub fn upsert(&mut self, row: Row) {
        self.runs
            .retain(|r| (r.dataset, r.method, r.seed) != (row.dataset, row.method, row.seed));
        self.runs.push(row);
        self.runs
            .sort_by_key(|r| (r.dataset, r.method.name(), r.seed));
        self.table = table(&self.runs);
    }

    /// Writes `summary.json` and `table.csv` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json(&dir.join("summary.json"), self)?;
        let mut csv =
            String::from("dataset,method,seeds,test_nll_mean,test_nll_std,seconds_mean\n");
        for c in &self.table {
            csv += &format!(
                "{},{},{},{:.4},{:.4},{:.1}\n",
                c.dataset.name(),
                c.method.name(),
                c.seeds,
                c.test_nll_mean,
                c.test_nll_std,
                c.seconds_mean
            );
        }
        write_atomic(&dir.join("table.csv"), csv.as_bytes())
    }
}

/// Mean ± sample std of the test NLL per (dataset, method).
pub fn table(rows: &[Row]) -> Vec<Cell> {
    let mut groups: BTreeMap<(Dataset, &str), Vec<&Row>> = BTreeMap::new();
    for r in rows {
        groups
            .entry((r.dataset, r.method.name()))
            .or_default()
            .push(r);
    }
    groups
        .into_iter()
        .map(|((dataset, _), rs)| {
            let method = rs[0].method;
            let n = rs.len() as f64;
            let mean = rs.iter().map(|r| r.test_nll).sum::<f64>() / n;
            let var =
                rs.iter().map(|r| (r.test_nll - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            let seconds_mean = rs.iter().map(|r| r.seconds).sum::<f64>() / n;
            Cell {
                dataset,
                method,
                seeds: rs.len(),
                test_nll_mean: mean,
                test_nll_std: var.sqrt(),
                seconds_mean,
            }
        })
        .collect()
}

/// Rows and columns of the maps: 1° cells.
const MAP: (usize, usize) = (180, 360);

/// Unit vectors at the centres of the map's cells, `[180·360, 3]` f64, rows from north to
/// south, columns from −180° east ([`Grid::lon_lat`]).
pub fn map_points() -> Tensor {
    Grid::lon_lat(MAP.0, MAP.1)
        .expect("invariant: 180 × 360 cells are within Grid::MAX_POINTS")
        .points
}

/// Draws the log-density `log_p` on [`map_points`] (clipped 10 nats below its maximum) with
/// the training points (longitude, latitude) overlaid (at most 3,000 of them).
pub fn plot_map(path: &Path, title: &str, log_p: &Tensor, points: &[(f64, f64)]) -> Result<()> {
    let v = log_p.to_kind(Kind::Double).to_device(Device::Cpu);
    let top = v.max().double_value(&[]);
    let flat: Vec<f64> = Vec::try_from(&v.clamp_min(top - 10.0))?;
    let values = flat.chunks(MAP.1).map(<[f64]>::to_vec).collect();
    let every = points.len().div_ceil(3000).max(1);
    let shown = points.iter().step_by(every).copied().collect();
    let panel = MapPanel::lon_lat(&format!("{title}: log density (nats/sr)"), values, shown);
    heat_map(path, &[panel], false)
}
