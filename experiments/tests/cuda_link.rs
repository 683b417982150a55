//! The experiment binaries link libtorch_cuda.so whenever libtorch has it (the linker's
//! default `--as-needed` would drop it and silently disable CUDA), and still run without a GPU.

use std::process::Command;

#[test]
fn binaries_load_libtorch_cuda_and_run_without_gpu() {
    let out = Command::new(env!("CARGO_BIN_EXE_mvl-info"))
        .output()
        .expect("mvl-info runs");
    assert!(out.status.success(), "mvl-info failed: {out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let cpu_lib = report["libtorch_cpu"]
        .as_str()
        .expect("libtorch_cpu.so is loaded");
    let lib_dir = std::path::Path::new(cpu_lib).parent().expect("lib folder");
    if lib_dir.join("libtorch_cuda.so").exists() {
        assert!(
            report["libtorch_cuda"].as_str().is_some(),
            "libtorch has libtorch_cuda.so but the binary did not load it: {report}"
        );
    }
    let device = report["device"].as_str().expect("device");
    assert_eq!(
        report["cuda_available"].as_bool(),
        Some(device.starts_with("Cuda"))
    );
}
