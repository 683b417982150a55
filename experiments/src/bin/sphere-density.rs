//! Figure 2 of the paper: density estimation on S^1, S^2 and H^2 with Riemannian MVL (see
//! `mvl_experiments::density`). Writes `<out>/sphere-density/summary.json`, the loss curves
//! and the plots.

use anyhow::Result;
use clap::Parser;
use mvl_experiments::density::{Args, Summary, run};
use mvl_experiments::output::write_json;

fn main() -> Result<()> {
    let args = Args::parse();
    let dev = args.common.init();
    let dir = args.common.results_dir("sphere-density")?;
    let mut runs = Vec::new();
    for &surface in &args.manifolds {
        let r = run(&args, surface, dev, &dir)?;
        let m = &r.metrics;
        println!(
            "{:3}  corr(log p) {:.4}  TV {:.4}  KL {:.5}  max|Δ log p| {:.3}  ({:.0} s)",
            format!("{surface:?}"),
            m.corr_logdensity,
            m.tv,
            m.kl,
            m.max_abs_logdensity_err,
            r.seconds
        );
        runs.push(r);
    }
    write_json(&dir.join("summary.json"), &Summary { args, runs })?;
    Ok(())
}
