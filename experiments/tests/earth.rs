//! Issue 6 (earth-science densities on S^2): the loader's edge cases and a short earthquake
//! run that must beat the uniform density by at least 1 nat (the quadrature normaliser is
//! tested against exact vMF normalisers up to κ = 5000 in `mvl_manifold::integration`).

use mvl_experiments::earth::data::{LoadError, parse_lat_lon, read_lat_lon};
use mvl_experiments::earth::methods::Method;
use mvl_experiments::earth::report::Summary;
use mvl_experiments::earth::{Dataset, UNIFORM_NLL};
use mvl_experiments::fixtures::earth_data;
use std::path::{Path, PathBuf};
use std::process::Command;

fn parse(text: &str) -> Result<Vec<[f64; 2]>, LoadError> {
    parse_lat_lon(text, Path::new("t.csv"))
}

#[test]
fn header_variants_comments_and_line_endings() {
    let want = vec![[10.5, -20.0], [-30.0, 200.0]];
    for text in [
        "# source\nlat,long\n10.5,-20\n-30,200\n",
        "# a\n# b\r\n# c\r\nLATITUDE,LONGITUDE\r\n10.5,-20\r\n-30,200",
        "Latitude , Longitude\n\n10.5, -20\n# a comment between rows\n-30,200\n\n",
        "# no header at all\n10.5,-20\n-30,200",
        "lon,lat\n-20,10.5\n200,-30\n",
        "id,Longitude,Latitude,depth\n1,-20,10.5,3\n2,200,-30,4\n",
    ] {
        assert_eq!(
            parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}")),
            want,
            "{text:?}"
        );
    }
    // The ends of the accepted ranges.
    assert_eq!(
        parse("90,-180\n-90,359.999\n").expect("valid"),
        vec![[90.0, -180.0], [-90.0, 359.999]]
    );
}

#[test]
fn bad_rows_are_errors_with_their_line() {
    let line_of = |text: &str| match parse(text) {
        Err(
            LoadError::BadRow { line, .. }
            | LoadError::OutOfRange { line, .. }
            | LoadError::BadHeader { line, .. },
        ) => line,
        other => panic!("{text:?}: expected a row error, got {other:?}"),
    };
    assert_eq!(line_of("# c\nlat,lon\n1,2\n1,2,3\n"), 4);
    assert_eq!(line_of("lat,lon\n1,2\n1;2\n"), 3);
    assert_eq!(
        line_of("1,2\nlat,lon\n"),
        2,
        "a header after data is a bad row"
    );
    assert_eq!(line_of("lat,lon\nNaN,2\n"), 2);
    assert_eq!(line_of("lat,lon\n1,inf\n"), 2);
    assert_eq!(line_of("# c\nlatitude,elevation\n1,2\n"), 2);
    assert!(matches!(
        parse("# only a comment\nlat,lon\n"),
        Err(LoadError::Empty { .. })
    ));
    assert!(matches!(
        read_lat_lon(Path::new("/nonexistent/x.csv")),
        Err(LoadError::Io { .. })
    ));
}

#[test]
fn out_of_range_coordinates_are_rejected_with_a_clear_message() {
    match parse("# c\nlat,lon\n0,0\n90.5,10\n") {
        Err(
            e @ LoadError::OutOfRange {
                line: 4,
                what: "latitude",
                ..
            },
        ) => {
            let msg = e.to_string();
            assert!(
                msg.contains("t.csv:4") && msg.contains("90.5") && msg.contains("[-90, 90]"),
                "{msg}"
            );
        }
        other => panic!("expected an out-of-range latitude, got {other:?}"),
    }
    for lon in ["360", "-180.01", "400"] {
        match parse(&format!("lat,lon\n0,{lon}\n")) {
            Err(LoadError::OutOfRange {
                line: 2,
                what: "longitude",
                ..
            }) => {}
            other => panic!("longitude {lon}: got {other:?}"),
        }
    }
}

/// The shipped files: row counts.
#[test]
fn the_four_files_load_when_present() {
    let Some(dir) = earth_data() else { return };
    let rows: Vec<i64> = Dataset::ALL
        .iter()
        .map(|d| d.load(&dir).expect("loads").size()[0])
        .collect();
    assert_eq!(rows, vec![827, 6120, 4875, 12809]);
}

fn out_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvl-earth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `earth-density --quick` on the earthquake data (seed 0, Riemannian MVL): the test NLL
/// must beat the uniform density ln 4π ≈ 2.531 by at least 1 nat (one run, 612 test points).
#[test]
fn quick_earthquake_run_beats_uniform_by_one_nat() {
    let Some(data) = earth_data() else { return };
    let out = out_dir();
    let status = Command::new(env!("CARGO_BIN_EXE_earth-density"))
        .args([
            "--quick",
            "--cpu",
            "--no-plots",
            "--dataset",
            "earthquake",
            "--method",
            "mvl",
            "--seeds",
            "0",
        ])
        .args([
            "--data-dir",
            data.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ])
        .status()
        .expect("earth-density runs");
    assert!(status.success());
    let text = std::fs::read_to_string(out.join("earth-density/summary.json")).expect("summary");
    let summary: Summary = serde_json::from_str(&text).expect("JSON");
    let row = &summary.runs[0];
    assert_eq!(
        (row.dataset, row.method),
        (Dataset::Earthquake, Method::Mvl)
    );
    let nll = row.test_nll;
    assert!(nll < UNIFORM_NLL - 1.0, "test NLL {nll}");
    let _ = std::fs::remove_dir_all(&out);
}

/// A negative or non-finite smoothing σ is refused before any work, naming the flag.
#[test]
fn negative_smoothing_is_a_clear_error() {
    for (flag, value) in [("--fr-smooth", "-0.01"), ("--smooth", "NaN")] {
        let out = Command::new(env!("CARGO_BIN_EXE_earth-density"))
            .args(["--cpu", "--no-plots", "--dataset", "earthquake"])
            .args(["--method", "birth-death", &format!("{flag}={value}")])
            .args(["--out", out_dir().to_str().expect("utf-8")])
            .output()
            .expect("earth-density runs");
        assert!(!out.status.success(), "{flag} {value} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{flag} must be a finite σ ≥ 0")),
            "{stderr}"
        );
    }
}
