//! Smoke test of `vmf-sample`: it writes an [N, D] float64 .npy of unit vectors concentrated
//! around --mu, and rejects bad arguments with a clear message.

use ndarray::Array2;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vmf-sample"))
}

#[test]
fn writes_unit_vectors_of_the_requested_shape() {
    let out = std::env::temp_dir().join(format!("mvl-vmf-sample-{}.npy", std::process::id()));
    let status = bin()
        .args([
            "--dim", "4", "--kappa", "50", "--n", "500", "--seed", "3", "--mu", "0,-1,0,0", "--cpu",
        ])
        .arg("--out")
        .arg(&out)
        .status()
        .expect("binary runs");
    assert!(status.success());
    let x: Array2<f64> = ndarray_npy::read_npy(&out).expect("readable .npy");
    let _ = std::fs::remove_file(&out);
    assert_eq!(x.dim(), (500, 4));
    for row in x.rows() {
        assert!((row.dot(&row) - 1.0).abs() < 1e-12);
    }
    // E[μᵀx] = A_4(50) ≈ 0.970; the mean of 500 draws has sd ≈ 0.0011.
    let mean_t = -x.column(1).mean().expect("non-empty");
    assert!((mean_t - 0.970).abs() < 0.01, "mean μᵀx = {mean_t}");
}

#[test]
fn rejects_bad_arguments_with_a_message() {
    let out = std::env::temp_dir().join("mvl-vmf-sample-never-written.npy");
    for (args, needle) in [
        (
            vec!["--dim", "3", "--kappa", "1", "--n", "5", "--mu", "1,0"],
            "--mu has 2 entries but --dim is 3",
        ),
        (
            vec!["--dim", "3", "--kappa", "-1", "--n", "5"],
            "concentration must be finite and >= 0, got -1",
        ),
        (
            vec!["--dim", "1", "--kappa", "1", "--n", "5"],
            "--dim must be at least 2",
        ),
        (
            vec!["--dim", "3", "--kappa", "1", "--n", "5", "--mu", "0,0,0"],
            "mean direction must be finite and non-zero",
        ),
    ] {
        let output = bin()
            .args(&args)
            .args(["--cpu", "--out"])
            .arg(&out)
            .output()
            .expect("binary runs");
        assert!(!output.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{args:?}: stderr was {stderr}");
    }
}
