//! Prints the headline numbers of the synthetic reproduction next to the paper's, from the
//! summaries that `estimator-bias-variance`, `sphere-density`, `mnist-vae(-eval)` and
//! `mnist-wae` wrote (MNIST VAE rows without an evaluation are left out).

use anyhow::{Context, Result};
use clap::Parser;
use mvl_experiments::mnist::{Row, table};
use mvl_experiments::rows::Rows;
use mvl_experiments::wae::{self, Flow, WaeRow};
use mvl_experiments::{density, figure1};
use serde::de::DeserializeOwned;
use std::path::PathBuf;

/// Reads `<results>/{estimator-bias-variance,sphere-density,mnist-vae,mnist-wae}/summary.json`,
/// prints a table.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// The results root the experiment binaries wrote to.
    #[arg(long, default_value = "results")]
    results: PathBuf,
}

fn read<T: DeserializeOwned>(args: &Args, name: &str) -> Result<T> {
    let path = args.results.join(name).join("summary.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn figure1(s: &figure1::Summary) {
    let n = s.samples_per_eps;
    println!("Figure 1 (banana, {n:.0} samples per eps)");
    println!("  {:30} {:>14} {:>14}", "", "ours", "paper");
    for (est, paper_p) in [("MVL-CV", "0.48"), ("DSM-CV", "0.19")] {
        let p = s.z_test.get(est).map_or(f64::NAN, |z| z.p_value);
        println!(
            "  {:30} {:>14.3} {:>14}",
            format!("{est} z-test p at eps=6e-5"),
            p,
            paper_p
        );
        let max_bias = s
            .rows_of(est)
            .filter(|r| r.eps.is_some_and(|e| e <= 1e-2))
            .filter_map(|r| r.sq_bias_bound)
            .fold(0.0, f64::max);
        println!(
            "  {:30} {:>14.2e} {:>14}",
            format!("{est} max sq-bias bound, eps<=1e-2"),
            max_bias,
            "negligible"
        );
        let var: Vec<f64> = s.rows_of(est).map(|r| r.variance).collect();
        let ratio = var.first().zip(var.last()).map_or(f64::NAN, |(a, b)| a / b);
        println!(
            "  {:30} {:>14.2} {:>14}",
            format!("{est} variance(1e-6)/variance(1e-1)"),
            ratio,
            "~1 (flat)"
        );
        let plain = est.trim_end_matches("-CV");
        let var: Vec<f64> = s.rows_of(plain).map(|r| r.variance).collect();
        let ratio = var.first().zip(var.last()).map_or(f64::NAN, |(a, b)| a / b);
        println!(
            "  {:30} {:>14.2e} {:>14}",
            format!("{plain} variance(1e-6)/variance(1e-1)"),
            ratio,
            "~1e5 (1/eps)"
        );
    }
}

fn figure2(s: &density::Summary) {
    println!("Figure 2 (density estimation; correlation of log-densities on a grid)");
    println!(
        "  {:4} {:>8} {:>8} {:>9} {:>8} {:>7}   reference",
        "", "corr", "TV", "KL", "iters", "secs"
    );
    for run in &s.runs {
        let reference = match run.manifold {
            density::Surface::S1 => {
                "paper: curves overlap; PyTorch port 0.994 (300 its) / 0.9994 (3000)"
            }
            density::Surface::S2 => {
                "paper: maps match; PyTorch port 0.983 (300 its) / 0.9995 (3000)"
            }
            density::Surface::H2 => "no published result (ours)",
        };
        let m = &run.metrics;
        println!(
            "  {:4} {:>8.4} {:>8.4} {:>9.5} {:>8} {:>7.0}   {reference}",
            format!("{:?}", run.manifold),
            m.corr_logdensity,
            m.tv,
            m.kl,
            run.iterations,
            run.seconds
        );
    }
}

fn table1(rows: &Rows<Row>, dir: &std::path::Path) {
    println!("Table 1 (MNIST test NLL by AIS, nats; mean ± std over seeds)");
    let cells = table::cells(&rows.runs);
    if cells.is_empty() {
        println!("  no evaluated mnist-vae runs");
        return;
    }
    println!(
        "  {:3} {:4} {:9} {:5} {:>16} {:>6} {:>7} {:>7} {:>6} {:>7}",
        "nz", "z", "encoder", "obj", "ours", "seeds", "iters", "images", "temps", "paper"
    );
    for c in cells {
        let objective = c
            .objective
            .map_or("-".to_owned(), |o| format!("{o:?}").to_lowercase());
        println!(
            "  {:3} {:4} {:9} {:5} {:>16} {:>6} {:>7} {:>7} {:>6} {:>7}",
            c.nz,
            format!("{:?}", c.latent).to_lowercase(),
            format!("{:?}", c.encoder).to_lowercase(),
            objective,
            format!("{:.2} ± {:.2}", c.nll_mean, c.nll_std),
            c.seeds,
            c.iters,
            c.test_images,
            c.temps,
            c.paper.map_or("-".to_owned(), |p| format!("{p:.2}"))
        );
    }
    let paired = table::paired(dir, &rows.runs);
    if !paired.is_empty() {
        println!("  paired on the same test images (NLL a − b, nats; negative: a better):");
    }
    for p in paired {
        println!(
            "    {:28} − {:28} {:>7.2} ± {:.2}  ({} images)",
            p.a.name(),
            p.b.name(),
            p.mean,
            p.std_error,
            p.images
        );
    }
}

fn table2(rows: &Rows<WaeRow>) {
    println!("Table 2 (MNIST FID of WAEs; mean ± std over seeds; LeNet trained here, so the");
    println!("values compare with each other, not with the paper's)");
    let cells = wae::table::wae_cells(&rows.runs);
    if cells.is_empty() {
        println!("  no mnist-wae runs");
        return;
    }
    println!(
        "  {:3} {:>6} {:4} {:12} {:>16} {:>6} {:>7} {:>14}",
        "nz", "lambda", "z", "method", "ours", "seeds", "iters", "paper"
    );
    for c in &cells {
        let method = match c.flow {
            Some(Flow::Spos) => "mvl (spos)".to_owned(),
            _ => format!("{:?}", c.method).to_lowercase(),
        };
        println!(
            "  {:3} {:>6} {:4} {:12} {:>16} {:>6} {:>7} {:>14}",
            c.nz,
            c.lambda,
            format!("{:?}", c.latent).to_lowercase(),
            method,
            format!("{:.2} ± {:.2}", c.fid_mean, c.fid_std),
            c.seeds,
            c.iters,
            c.paper
                .map_or("-".to_owned(), |(m, s)| format!("{m:.2} ± {s:.2}"))
        );
    }
    for f in wae::table::findings(&cells) {
        let verdict = if f.holds { "holds" } else { "does not hold" };
        println!(
            "  {}: {verdict} ({:.2} vs {:.2})",
            f.claim, f.fids.0, f.fids.1
        );
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    figure1(&read(&args, "estimator-bias-variance")?);
    println!();
    figure2(&read(&args, "sphere-density")?);
    println!();
    let mnist = args.results.join("mnist-vae");
    table1(&Rows::load(&mnist.join("summary.json"))?, &mnist);
    println!();
    table2(&Rows::load(&args.results.join("mnist-wae/summary.json"))?);
    Ok(())
}
