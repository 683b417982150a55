//! Figure 1 of the paper: squared bias and variance of approximate score-matching estimators
//! against the step size ε, on banana data (the binary `estimator-bias-variance` runs it).
//! Paired per-sample estimates on the same points; the unbiased reference is variance-reduced
//! sliced score matching (named "SSM" in results); squared-bias bound
//! (|mean(est − SSM)| + 2 SE)²; two-sided z-test of mean(est) = mean(SSM) at ε = 6e-5.

use crate::estimators::Estimator;
use crate::output::{write_csv, write_json};
use crate::plot::{Axes, Series, line_plot};
use crate::stats::{Moments, two_sided_p};
use anyhow::Result;
use mvl_manifold::Energy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use tch::Tensor;

/// The ε grid: 11 log-spaced values 10⁻⁶…10⁻¹ and 6·10⁻⁵.
pub fn eps_grid() -> Vec<f64> {
    let mut grid: Vec<f64> = (0..11).map(|i| 10f64.powf(-6.0 + 0.5 * i as f64)).collect();
    grid.push(6e-5);
    grid.sort_by(f64::total_cmp);
    grid
}

/// Accumulated statistics: per estimator and ε, the values and the differences with SSM.
#[derive(Default, Serialize, Deserialize)]
pub struct Sweep {
    /// Per key: the estimates.
    pub values: BTreeMap<String, Moments>,
    /// Per key: estimate − SSM.
    pub vs_ssm: BTreeMap<String, Moments>,
    /// Per key: estimate − exact SM.
    pub vs_exact: BTreeMap<String, Moments>,
}

fn key(name: &str, eps: f64) -> String {
    format!("{name}@{eps:e}")
}

/// Adds the per-sample estimates of every estimator at every ε on the points `x`.
pub fn sweep_chunk(sweep: &mut Sweep, energy: &dyn Energy, x: &Tensor, grid: &[f64]) -> Result<()> {
    let exact = Estimator::ExactSm
        .build(0.0, 2)?
        .per_sample(energy, x)?
        .detach();
    let ssm = Estimator::SsmVr
        .build(0.0, 2)?
        .per_sample(energy, x)?
        .detach();
    sweep.values.entry("SSM".into()).or_default().add(&ssm);
    sweep
        .values
        .entry("exact SM".into())
        .or_default()
        .add(&exact);
    for &eps in grid {
        for e in Estimator::FIGURE1 {
            let est = e.build(eps, 2)?.per_sample(energy, x)?.detach();
            let k = key(e.name(), eps);
            sweep
                .vs_ssm
                .entry(k.clone())
                .or_default()
                .add(&(&est - &ssm));
            sweep
                .vs_exact
                .entry(k.clone())
                .or_default()
                .add(&(&est - &exact));
            sweep.values.entry(k).or_default().add(&est);
        }
    }
    Ok(())
}

/// One row of the summary: an estimator at one ε (or a reference, without ε).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// The estimator's name ([`Estimator::name`], or "SSM" / "exact SM" for the references).
    pub estimator: String,
    /// The step size (None for the references).
    pub eps: Option<f64>,
    /// Mean per-sample estimate.
    pub mean: f64,
    /// Variance of the per-sample estimate.
    pub variance: f64,
    /// (|mean(est − SSM)| + 2 SE)².
    pub sq_bias_bound: Option<f64>,
    /// (|mean(est − exact SM)| + 2 SE)².
    pub sq_bias_bound_vs_exact: Option<f64>,
}

/// The z-test of one estimator at ε = 6e-5.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ZTest {
    /// The step size.
    pub eps: f64,
    /// Two-sided p-value of mean(est − SSM) = 0.
    pub p_value: f64,
}

/// `summary.json` of `estimator-bias-variance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// How the numbers were made.
    pub protocol: String,
    /// Evaluation samples per ε.
    pub samples_per_eps: f64,
    /// Exact-SM loss of the trained energy at the last training step.
    pub final_train_exact_sm: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The command-line arguments.
    pub args: serde_json::Value,
    /// The rows.
    pub rows: Vec<Row>,
    /// z-tests by estimator name.
    pub z_test: BTreeMap<String, ZTest>,
}

impl Summary {
    /// The rows of estimator `name`, in ε order.
    pub fn rows_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |r| r.estimator == name)
    }
}

fn bound(m: &Moments) -> f64 {
    (m.mean.abs() + 2.0 * m.standard_error()).powi(2)
}

/// Writes `summary.json`, `curves.csv` and the plots of a finished sweep into `dir`, and prints
/// the table; `head` holds the protocol, timings and arguments (its rows and tests are
/// filled in here).
pub fn report(dir: &Path, sweep: &Sweep, grid: &[f64], mut head: Summary) -> Result<()> {
    let mut rows: Vec<Row> = ["SSM", "exact SM"]
        .iter()
        .map(|name| {
            let m = sweep.values[*name];
            Row {
                estimator: name.to_string(),
                eps: None,
                mean: m.mean,
                variance: m.variance(),
                sq_bias_bound: None,
                sq_bias_bound_vs_exact: None,
            }
        })
        .collect();
    let mut z_test = BTreeMap::new();
    for name in Estimator::FIGURE1.map(Estimator::name) {
        for &eps in grid {
            let k = key(name, eps);
            let (v, d, e) = (sweep.values[&k], sweep.vs_ssm[&k], sweep.vs_exact[&k]);
            rows.push(Row {
                estimator: name.into(),
                eps: Some(eps),
                mean: v.mean,
                variance: v.variance(),
                sq_bias_bound: Some(bound(&d)),
                sq_bias_bound_vs_exact: Some(bound(&e)),
            });
            if eps == 6e-5 {
                let p = two_sided_p(d.mean / d.standard_error());
                z_test.insert(name.to_string(), ZTest { eps, p_value: p });
            }
        }
    }
    head.samples_per_eps = sweep.values["SSM"].n;
    head.rows = rows;
    head.z_test = z_test;
    let (rows, z_test) = (&head.rows, &head.z_test);
    write_json(&dir.join("summary.json"), &head)?;
    let csv: Vec<Vec<f64>> = rows
        .iter()
        .filter_map(|r| {
            Some(vec![
                r.eps?,
                Estimator::FIGURE1
                    .iter()
                    .position(|e| e.name() == r.estimator)? as f64,
                r.mean,
                r.variance,
                r.sq_bias_bound?,
            ])
        })
        .collect();
    write_csv(
        &dir.join("curves.csv"),
        &[
            "eps",
            "estimator_index(MVL-CV,MVL,DSM-CV,DSM)",
            "mean",
            "variance",
            "sq_bias_bound",
        ],
        &csv,
    )?;
    plots(dir, rows)?;
    print_table(rows, z_test);
    Ok(())
}

/// Draws `sq_bias.png` and `variance.png` from the rows (warnings, not errors, on failure).
pub fn plots(dir: &Path, rows: &[Row]) -> Result<()> {
    let series = |f: &dyn Fn(&Row) -> Option<f64>| -> Vec<Series> {
        Estimator::FIGURE1
            .map(Estimator::name)
            .iter()
            .map(|name| Series {
                name: name.to_string(),
                points: rows
                    .iter()
                    .filter(|r| r.estimator == *name)
                    .filter_map(|r| Some((r.eps?, f(r)?)))
                    .collect(),
                dashed: !name.ends_with("CV"),
            })
            .collect()
    };
    let axes = |title, y_label| Axes {
        title,
        x_label: "step size eps (sigma^2 for DSM)",
        y_label,
        log_x: true,
        log_y: true,
    };
    for (file, title, y, f) in [
        (
            "sq_bias.png",
            "Squared bias bound vs SSM",
            "squared bias (upper bound)",
            &(|r: &Row| r.sq_bias_bound) as &dyn Fn(&Row) -> Option<f64>,
        ),
        (
            "variance.png",
            "Variance of the per-sample estimate",
            "variance",
            &|r: &Row| Some(r.variance),
        ),
    ] {
        if let Err(e) = line_plot(&dir.join(file), &axes(title, y), &series(f)) {
            eprintln!("warning: plot {file} skipped: {e}");
        }
    }
    Ok(())
}

fn print_table(rows: &[Row], z_test: &BTreeMap<String, ZTest>) {
    println!(
        "{:8} {:>9} {:>12} {:>12} {:>12}",
        "estimator", "eps", "mean", "variance", "sq.bias<="
    );
    for r in rows {
        let eps = r.eps.map_or("-".into(), |e| format!("{e:.0e}"));
        let b = r.sq_bias_bound.map_or("-".into(), |b| format!("{b:.2e}"));
        println!(
            "{:8} {:>9} {:>12.5} {:>12.4e} {:>12}",
            r.estimator, eps, r.mean, r.variance, b
        );
    }
    for (name, v) in z_test {
        println!("z-test vs SSM at eps = 6e-5: {name:7} p = {:.3}", v.p_value);
    }
}
