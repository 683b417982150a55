//! The committed full-run summaries (results/<name>/summary.json, which docs/results.md quotes)
//! are read back through the same typed structs that `paper-table` and the other tests use:
//! a change of a summary type that would orphan the committed results fails here.

use mvl_experiments::mnist::Row;
use mvl_experiments::rows::Rows;
use mvl_experiments::wae::WaeRow;
use mvl_experiments::{density, earth, figure1};
use serde::de::DeserializeOwned;
use std::path::Path;

fn read<T: DeserializeOwned>(name: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../results")
        .join(name)
        .join("summary.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn committed_summaries_parse_into_their_types() {
    let f1: figure1::Summary = read("estimator-bias-variance");
    assert!(f1.rows_of("MVL-CV").count() > 0);
    let f2: density::Summary = read("sphere-density");
    let surfaces: Vec<_> = f2.runs.iter().map(|r| r.manifold).collect();
    assert_eq!(surfaces, f2.args.manifolds);
    let earth: earth::report::Summary = read("earth-density");
    assert_eq!(
        earth.runs.len(),
        4 * 5 * 5,
        "4 data sets × 5 methods × 5 seeds"
    );
    assert!(earth.runs.iter().all(|r| r.test_nll.is_finite()));
    let vae: Rows<Row> = read("mnist-vae");
    assert!(
        vae.runs
            .iter()
            .all(|r| r.iters == 100_000 && r.final_neg_elbo.is_finite())
    );
    let wae: Rows<WaeRow> = read("mnist-wae");
    assert!(
        wae.runs
            .iter()
            .all(|r| r.iters >= 50_000 && r.fid.is_finite() && r.fid_samples == 10_000)
    );
}
