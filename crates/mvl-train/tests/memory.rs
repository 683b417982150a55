//! `keep_freed_memory` stops the page faults of a training-like allocation pattern. Its own
//! test binary, so that no other test allocates in the process while faults are counted.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use tch::{Device, Kind, Tensor};

/// The process's minor page faults so far (`minflt`, field 10 of /proc/self/stat).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat is readable");
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')').expect("a command name") + 2..];
    rest.split(' ')
        .nth(7)
        .and_then(|f| f.parse().ok())
        .expect("minflt")
}

/// Page faults of `cycles` rounds of a step's temporaries: tensors of 128 KiB to 800 KiB
/// (the sizes of a batch of 128 rows of 256 or 784 floats), each read once into a result
/// that stays alive until the end of the round, then all freed together.
fn faults_of_temporaries(cycles: usize) -> u64 {
    let opts = (Kind::Float, Device::Cpu);
    let round = || {
        let mut results = Vec::new();
        for n in [
            32_768, 100_352, 200_704, 65_536, 100_352, 200_704, 32_768, 100_352,
        ] {
            let temporary = Tensor::ones([n], opts);
            results.push(&temporary * 2.0);
        }
    };
    round();
    let before = minor_faults();
    for _ in 0..cycles {
        round();
    }
    minor_faults() - before
}

/// glibc's starting mmap threshold (128 KiB), held fixed for the default-allocator count.
const FIXED_DEFAULT: &str = "glibc.malloc.mmap_threshold=131072";

/// Runs in a child process of this test binary with glibc's thresholds at their starting
/// values and held there (`GLIBC_TUNABLES`): glibc otherwise raises them as it frees large
/// blocks, and how often it then faults depends on the process's earlier allocations (the
/// layout of its heap): 14,094 faults in 50 rounds in one build of this binary, 2,156 in the
/// next, which differed only in linked C++ code. With the thresholds fixed, the count is the
/// same in every build.
#[test]
fn freed_tensor_memory_is_reused_without_page_faults() {
    if std::env::var_os("MVL_MEMORY_CHILD").is_none() {
        let exe = std::env::current_exe().expect("the test binary");
        let status = std::process::Command::new(exe)
            .args([
                "--exact",
                "freed_tensor_memory_is_reused_without_page_faults",
                "--nocapture",
            ])
            .env("MVL_MEMORY_CHILD", "1")
            .env("GLIBC_TUNABLES", FIXED_DEFAULT)
            .status()
            .expect("the child runs");
        assert!(status.success(), "the child's measurement failed: {status}");
        return;
    }
    tch::set_num_threads(1);
    let cycles = 50;
    let default = faults_of_temporaries(cycles);
    assert!(mvl_train::keep_freed_memory());
    let kept = faults_of_temporaries(cycles);
    eprintln!(
        "{default} faults in {cycles} rounds with glibc's starting thresholds, {kept} with keep_freed_memory"
    );
    // glibc 2.36: every temporary of 128 KiB or more is mapped afresh and faults in (82,201
    // faults in 50 rounds); with the memory kept, 618 while the heap settles into its size.
    assert!(
        default > 5_000,
        "default allocator: {default} faults in {cycles} rounds"
    );
    assert!(
        kept * 20 < default,
        "{kept} faults in {cycles} rounds with keep_freed_memory, {default} without"
    );
}
