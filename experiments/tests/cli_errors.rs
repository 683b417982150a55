//! Every binary given bad input (issue 14's list): a non-zero exit with a message naming the
//! flag, file or row, never a panic (exit code 101) and never a silent success. All cases
//! fail before any training starts, so the suite takes seconds.

use std::path::{Path, PathBuf};
use std::process::Command;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvl-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `bin` with `args` and checks the failure: exit code neither 0 nor 101, and `says` in
/// the standard error.
fn fails(bin: &str, args: &[&str], says: &str) {
    let out = Command::new(bin).args(args).output().expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = Path::new(bin)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(bin);
    assert!(!out.status.success(), "{name} {args:?} succeeded");
    assert_ne!(
        out.status.code(),
        Some(101),
        "{name} {args:?} panicked: {stderr}"
    );
    assert!(
        stderr.contains(says),
        "{name} {args:?}: expected {says:?} in {stderr}"
    );
}

#[test]
fn sphere_density_rejects_bad_flags_before_training() {
    let bin = env!("CARGO_BIN_EXE_sphere-density");
    let out = temp("sd");
    let out = out.to_str().expect("utf-8");
    for (args, says) in [
        (&["--batch", "0"][..], "--batch"),
        (&["--checkpoint-every", "0"], "--checkpoint-every"),
        (&["--iterations", "0"], "--iterations"),
        (&["--manifolds", "S1,XX"], "possible values: S1, S2, H2"),
        (&["--lr", "-1"], "--lr"),
        (&["--eps", "nan"], "--eps"),
    ] {
        fails(bin, &[args, &["--cpu", "--out", out]].concat(), says);
    }
}

#[test]
fn earth_density_rejects_nonsense_and_small_data() {
    let bin = env!("CARGO_BIN_EXE_earth-density");
    let dir = temp("earth");
    std::fs::write(dir.join("volerup.csv"), "lat,long\n10,20\n11,21\n12,22\n").expect("data");
    let (data, out) = (dir.to_str().expect("utf-8"), dir.join("out"));
    let out = out.to_str().expect("utf-8");
    let common = [
        "--cpu",
        "--no-plots",
        "--dataset",
        "volcano",
        "--method",
        "mvl",
    ];
    let common = [&common[..], &["--data-dir", data, "--out", out]].concat();
    for (args, says) in [
        (&["--lr", "0"][..], "--lr"),
        (&["--lr", "-1"], "--lr"),
        (&["--lr", "NaN"], "--lr"),
        (&["--ema", "1"], "--ema"),
        (&["--ema", "-0.1"], "--ema"),
        (&["--hidden", "0"], "--hidden"),
        (&["--steps", "0"], "--steps"),
        (&["--eps", "0"], "--eps"),
        (&["--eps", "1e6"], "--eps"),
        (&["--method", "nonsense"], "possible values"),
        (&[], "3 points cannot be split"),
    ] {
        fails(bin, &[&common[..], args].concat(), says);
    }
    // The error names the file.
    fails(bin, &common, "volerup.csv");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vmf_sample_rejects_impossible_requests_without_hanging() {
    let bin = env!("CARGO_BIN_EXE_vmf-sample");
    let dir = temp("vmf");
    let file = dir.join("x.npy");
    let file = file.to_str().expect("utf-8");
    for (args, says) in [
        (
            &["--dim", "3", "--kappa", "1", "--n", "1000000000000"][..],
            "values is more than",
        ),
        (&["--dim", "1", "--kappa", "1", "--n", "3"], "--dim"),
        (
            &["--dim", "3", "--kappa", "-1", "--n", "3"],
            "concentration",
        ),
        (&["--dim", "3", "--kappa", "1", "--n", "-3"], "--n"),
        (
            &["--dim", "3", "--kappa", "1", "--n", "3", "--mu", "1,0"],
            "--mu",
        ),
        (
            &["--dim", "3", "--kappa", "1", "--n", "3", "--mu", "0,0,0"],
            "mean direction",
        ),
    ] {
        fails(bin, &[args, &["--cpu", "--out", file]].concat(), says);
    }
    // What used to hang (2κ overflowing) or be refused (|μ|² overflowing) now works.
    for args in [
        &["--dim", "5", "--kappa", "1e308", "--n", "1"][..],
        &[
            "--dim",
            "3",
            "--kappa",
            "2",
            "--n",
            "3",
            "--mu",
            "1e200,1e200,0",
        ],
    ] {
        let status = Command::new(bin)
            .args(args)
            .args(["--cpu", "--out", file])
            .status()
            .expect("runs");
        assert!(status.success(), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mnist_binaries_reject_bad_flags_before_loading_anything() {
    let (train, eval) = (
        env!("CARGO_BIN_EXE_mnist-vae"),
        env!("CARGO_BIN_EXE_mnist-vae-eval"),
    );
    let out = temp("mnist");
    let out = out.to_str().expect("utf-8");
    for (args, says) in [
        (&["--lr", "0"][..], "--lr"),
        (&["--iters", "0"], "--iters"),
        (&["--batch", "0"], "--batch"),
        (&["--nz", "0"], "--nz"),
        (&["--checkpoint-every", "0"], "--checkpoint-every"),
        (
            &["--encoder", "both"],
            "possible values: implicit, explicit",
        ),
    ] {
        fails(train, &[args, &["--cpu", "--out", out]].concat(), says);
    }
    for (args, says) in [
        (&["--chains", "1"][..], "--chains"),
        (&["--temps", "1"], "--temps"),
    ] {
        fails(eval, &[args, &["--cpu", "--out", out]].concat(), says);
    }
}

#[test]
fn estimator_bias_variance_rejects_bad_sizes() {
    let bin = env!("CARGO_BIN_EXE_estimator-bias-variance");
    let out = temp("ebv");
    let out = out.to_str().expect("utf-8");
    for (args, says) in [
        (&["--samples", "1"][..], "--samples"),
        (&["--chunk", "0"], "--chunk"),
        (&["--train-steps", "0"], "--train-steps"),
    ] {
        fails(bin, &[args, &["--cpu", "--out", out]].concat(), says);
    }
}

/// `bench-estimators --plot` (issue 16): a missing, non-JSON or row-less summary is an error
/// naming the file; a valid one is drawn into step-time.png next to it.
#[test]
fn bench_estimators_plots_a_summary_or_names_the_bad_file() {
    let bin = env!("CARGO_BIN_EXE_bench-estimators");
    let dir = temp("bench-plot");
    let missing = dir.join("missing.json");
    fails(
        bin,
        &["--plot", missing.to_str().expect("utf-8")],
        "cannot read",
    );
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "not json").expect("write");
    fails(
        bin,
        &["--plot", junk.to_str().expect("utf-8")],
        "is not JSON",
    );
    let empty = dir.join("empty.json");
    std::fs::write(&empty, r#"{"results": []}"#).expect("write");
    fails(
        bin,
        &["--plot", empty.to_str().expect("utf-8")],
        "no exact_sm or mvl_cv rows",
    );
    let summary = dir.join("summary.json");
    let rows = r#"{"results": [
        {"dim": 2, "estimator": "mvl_cv", "autograd_ms": 3.0, "explicit_ms": 2.4, "pytorch_ms": 3.2},
        {"dim": 784, "estimator": "mvl_cv", "autograd_ms": 6.5, "explicit_ms": 5.5, "pytorch_ms": 6.7},
        {"dim": 2, "estimator": "exact_sm", "autograd_ms": 5.7, "explicit_ms": 2.9, "pytorch_ms": 6.9},
        {"dim": 784, "estimator": "exact_sm", "autograd_ms": 2544, "explicit_ms": 89, "pytorch_ms": 2594}
    ]}"#;
    std::fs::write(&summary, rows).expect("write");
    let out = Command::new(bin)
        .args(["--plot", summary.to_str().expect("utf-8")])
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(dir.join("step-time.png")).expect("step-time.png written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}
