//! The MNIST binaries end to end at toy sizes: `mnist-vae` trains and writes its row,
//! `mnist-vae-eval` adds the AIS test NLL and the image grids; bad flag combinations and
//! missing data are clear errors before any work; `mnist-wae` trains each WAE and tracks its
//! FID. The MNIST files come from
//! `scripts/setup --mnist` (which `./scripts/test` runs); without them the data tests skip on
//! a developer's machine and fail under `MVL_REQUIRE_DATA=1` (CI).

use mvl_experiments::fixtures::mnist_present;
use mvl_experiments::mnist::{Encoder, Latent, Row};
use mvl_experiments::rows::Rows;
use mvl_experiments::wae::{FidPoint, Method, WaeRow};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvl-mnist-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(bin: &str, args: &[&str], out: &Path) -> Output {
    Command::new(bin)
        .args(args)
        .args([
            "--cpu",
            "--threads",
            "1",
            "--out",
            out.to_str().expect("utf-8"),
        ])
        .output()
        .expect("binary runs")
}

/// 40 iterations of the implicit (S⁸) and explicit (R⁸) VAEs, then AIS on 4 images with 30
/// temperatures: both rows get a finite NLL, the reconstructions and samples are drawn, and a
/// rerun of the finished training keeps the evaluation.
#[test]
fn train_then_evaluate_both_encoders() {
    if !mnist_present() {
        return;
    }
    let out = out_dir("pipeline");
    let train = env!("CARGO_BIN_EXE_mnist-vae");
    let eval = env!("CARGO_BIN_EXE_mnist-vae-eval");
    for (latent, encoder) in [("sph", "implicit"), ("euc", "explicit")] {
        let run_flags = ["--latent", latent, "--encoder", encoder, "--nz", "8"];
        let t = [
            &run_flags[..],
            &["--iters", "40", "--checkpoint-every", "15"],
        ]
        .concat();
        let done = run(train, &t, &out);
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        let e = [
            &run_flags[..],
            &["--test-images", "4", "--temps", "30", "--chains", "4"],
        ]
        .concat();
        let done = run(eval, &e, &out);
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        // Rerunning the finished training resumes at its end and keeps the evaluation.
        assert!(run(train, &t, &out).status.success());
    }
    let rows: Rows<Row> = Rows::load(&out.join("mnist-vae/summary.json")).expect("summary");
    assert_eq!(rows.runs.len(), 2);
    for row in &rows.runs {
        let ev = row.evaluation.expect("evaluated");
        // Untrained-ish models: far from good, but a finite NLL below that of coin flips.
        assert!(ev.nll.is_finite() && ev.nll < 784.0 * 2f64.ln(), "{row:?}");
        assert_eq!(
            (row.iters, ev.test_images, ev.chains, ev.temps),
            (40, 4, 4, 30)
        );
        let dir = row.spec.dir(&out.join("mnist-vae"));
        assert!(dir.join("reconstructions.png").exists() && dir.join("samples.png").exists());
    }
    let kinds: Vec<_> = rows
        .runs
        .iter()
        .map(|r| (r.spec.latent, r.spec.encoder))
        .collect();
    assert!(
        kinds.contains(&(Latent::Sph, Encoder::Implicit))
            && kinds.contains(&(Latent::Euc, Encoder::Explicit))
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// Flag combinations that cannot work, missing data, and evaluating an untrained run fail
/// with a message that says what to do, before any training.
#[test]
fn bad_requests_are_clear_errors() {
    let out = out_dir("errors");
    let train = env!("CARGO_BIN_EXE_mnist-vae");
    let cases: [(&[&str], &str); 3] = [
        (&["--latent", "sph", "--objective", "ssm"], "--latent euc"),
        (&["--data", "/nonexistent/mnist"], "scripts/setup --mnist"),
        (&["--latent", "xx"], "possible values: euc, sph"),
    ];
    for (args, says) in cases {
        let done = run(train, args, &out);
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert!(
            !done.status.success() && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    }
    let done = run(env!("CARGO_BIN_EXE_mnist-vae-eval"), &["--nz", "3"], &out);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(
        !done.status.success() && stderr.contains("train it with mnist-vae first"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// The implicit VAE's energy trained by sliced and denoising score matching instead of MVL
/// (R^nz): 30 iterations each give a finite −ELBO.
#[test]
fn score_objectives_are_selectable_in_euclidean_space() {
    if !mnist_present() {
        return;
    }
    let out = out_dir("objectives");
    for objective in ["ssm", "dsm"] {
        let args = ["--latent", "euc", "--objective", objective, "--iters", "30"];
        let done = run(env!("CARGO_BIN_EXE_mnist-vae"), &args, &out);
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    let rows: Rows<Row> = Rows::load(&out.join("mnist-vae/summary.json")).expect("summary");
    assert_eq!(rows.runs.len(), 2);
    assert!(
        rows.runs.iter().all(|r| r.final_neg_elbo.is_finite()),
        "{:?}",
        rows.runs
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// `mnist-wae` with each divergence estimator (MVL on S⁸ and, with SPOS, in R⁸; WAE-GAN;
/// WAE-MMD), 40 iterations, FID of 300 generated images every 20 with the quick classifier:
/// every row has a finite positive FID equal to the last point of its curve at iteration 40,
/// the curve has its points at 20 and 40, and the grids and the curve plot are drawn; a
/// second invocation with `--restart` reproduces the FID bit for bit (one thread).
#[test]
fn wae_methods_train_and_track_the_fid() {
    if !mnist_present() {
        return;
    }
    let out = out_dir("wae");
    let bin = env!("CARGO_BIN_EXE_mnist-wae");
    let size = [
        "--quick",
        "--iters",
        "40",
        "--fid-every",
        "20",
        "--fid-samples",
        "300",
    ];
    let runs: [&[&str]; 4] = [
        &["--latent", "sph", "--method", "mvl"],
        &["--latent", "euc", "--method", "mvl", "--flow", "spos"],
        &["--latent", "euc", "--method", "gan"],
        &["--latent", "sph", "--method", "mmd"],
    ];
    for flags in runs {
        let done = run(bin, &[flags, &size[..]].concat(), &out);
        assert!(
            done.status.success(),
            "{flags:?}: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    let rows: Rows<WaeRow> = Rows::load(&out.join("mnist-wae/summary.json")).expect("summary");
    assert_eq!(rows.runs.len(), 4);
    for row in &rows.runs {
        assert!(row.fid.is_finite() && row.fid > 0.0, "{row:?}");
        assert!(row.classifier_accuracy > 0.9, "{row:?}");
        let dir = row.spec.dir(&out.join("mnist-wae"));
        let text = std::fs::read_to_string(dir.join("fid.json")).expect("curve");
        let curve: Vec<FidPoint> = serde_json::from_str(&text).expect("typed curve");
        let at: Vec<usize> = curve.iter().map(|p| p.iteration).collect();
        assert_eq!(at, [20, 40], "{row:?}");
        assert_eq!(curve[1].fid, row.fid);
        for file in ["fid.png", "samples.png", "reconstructions.png"] {
            assert!(dir.join(file).exists(), "{file} of {row:?}");
        }
    }
    let again = run(bin, &[runs[2], &size[..], &["--restart"]].concat(), &out);
    assert!(again.status.success());
    let rerun: Rows<WaeRow> = Rows::load(&out.join("mnist-wae/summary.json")).expect("summary");
    let gan = |rows: &Rows<WaeRow>| {
        let row = rows.runs.iter().find(|r| r.spec.method == Method::Gan);
        row.expect("the GAN row").clone()
    };
    assert_eq!(
        (gan(&rows).fid, gan(&rows).final_loss),
        (gan(&rerun).fid, gan(&rerun).final_loss)
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// `mnist-wae` refuses SPOS on the sphere, a zero or negative λ and missing data with a
/// message naming the flag or the set-up command, before any work.
#[test]
fn wae_bad_requests_are_clear_errors() {
    let out = out_dir("wae-errors");
    let bin = env!("CARGO_BIN_EXE_mnist-wae");
    let cases: [(&[&str], &str); 4] = [
        (&["--latent", "sph", "--flow", "spos"], "--latent euc"),
        (&["--lambda", "0"], "--lambda"),
        (&["--lambda", "-3"], "--lambda"),
        (&["--data", "/nonexistent/mnist"], "scripts/setup --mnist"),
    ];
    for (args, says) in cases {
        let done = run(bin, args, &out);
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert!(
            !done.status.success() && done.status.code() != Some(101) && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
