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

#[test]
fn freed_tensor_memory_is_reused_without_page_faults() {
    tch::set_num_threads(1);
    let cycles = 50;
    let default = faults_of_temporaries(cycles);
    assert!(mvl_train::keep_freed_memory());
    let kept = faults_of_temporaries(cycles);
    // glibc 2.36 with its default (adaptive) thresholds: 14,094 faults in 50 rounds, about
    // 280 fresh 4 KiB pages a round; with the memory kept, 358 while the heap settles into
    // its new size (and 34 in the 200 rounds after that).
    assert!(
        default > 5_000,
        "default allocator: {default} faults in {cycles} rounds"
    );
    assert!(
        kept * 20 < default,
        "{kept} faults in {cycles} rounds with keep_freed_memory, {default} without"
    );
}
