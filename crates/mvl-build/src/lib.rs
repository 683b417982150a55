//! Build-script helper shared by the workspace's crates.
//!
//! `torch-sys` links libtorch dynamically but leaves two things to the final binary:
//! finding the shared libraries at run time, and keeping `libtorch_cuda.so`, which the
//! linker's default `--as-needed` drops because no symbol of it is referenced directly
//! (CUDA then reports as unavailable even on a GPU machine). [`link_libtorch`] fixes both
//! for every binary, test, example and bench of the calling package:
//!
//! ```text
//! // build.rs of a crate that depends on `torch-sys` (for `DEP_TCH_LIBTORCH_LIB`)
//! fn main() {
//!     mvl_build::link_libtorch();
//! }
//! ```
//! A binary linked this way still runs on machines without a GPU: `libtorch_cuda.so` loads,
//! and `tch::Cuda::is_available()` is simply false.

use std::path::Path;

/// Emits the link arguments described in the crate documentation.
///
/// Reads `DEP_TCH_LIBTORCH_LIB`, which `torch-sys` (`links = "tch"`) exports to the build
/// scripts of crates that depend on it directly; does nothing when it is absent.
pub fn link_libtorch() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        return;
    };
    // Resolve the checkout's `.libtorch` link, so that binaries keep working from anywhere.
    let lib = std::fs::canonicalize(&lib).unwrap_or_else(|_| lib.into());
    for arg in link_args(&lib) {
        println!("cargo:rustc-link-arg={arg}");
    }
}

/// Compiles C++ sources written against libtorch's headers (custom kernels and autograd
/// functions; the caller declares their `extern "C"` entry points) into a static library
/// `name` linked into the calling package, with the flags `torch-sys` compiles its own C++
/// with (C++17, the C++11 ABI unless `LIBTORCH_CXX11_ABI=0`), at `-O3` and with
/// `-fno-trapping-math`. Then it emits the cfg
/// `cfg_name` (declared for `check-cfg` either way), under which the caller uses those entry
/// points, and returns true. Without `DEP_TCH_LIBTORCH_LIB` (a documentation-only build, where
/// there is no libtorch) it compiles nothing and returns false, so the caller's fallback path is
/// built instead.
pub fn compile_libtorch_cpp(name: &str, files: &[&str], cfg_name: &str) -> bool {
    println!("cargo::rustc-check-cfg=cfg({cfg_name})");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        return false;
    };
    let include = Path::new(&lib).join("..").join("include");
    let abi = std::env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_owned());
    cc::Build::new()
        .cpp(true)
        .pic(true)
        .opt_level(3)
        .include(&include)
        .include(
            include
                .join("torch")
                .join("csrc")
                .join("api")
                .join("include"),
        )
        .flag("-std=c++17")
        .flag(format!("-D_GLIBCXX_USE_CXX11_ABI={abi}"))
        // Lets loops with selects between floating-point results vectorise; IEEE values,
        // NaN and infinities are unchanged (only the floating-point exception flags are not
        // kept, which nothing here reads).
        .flag("-fno-trapping-math")
        .flag("-DGLOG_USE_GLOG_EXPORT")
        // libtorch's headers warn about their own code under -Wall.
        .warnings(false)
        .files(files)
        .compile(name);
    println!("cargo:rustc-cfg={cfg_name}");
    true
}

/// The linker arguments for a libtorch lib folder: a run-time search path (`DT_RPATH`, so it
/// also covers libraries loaded by libtorch itself) and, when the folder has
/// `libtorch_cuda.so`, a link of it that `--as-needed` cannot drop.
pub fn link_args(lib: &Path) -> Vec<String> {
    let mut args = vec![
        "-Wl,--disable-new-dtags".to_owned(),
        format!("-Wl,-rpath,{}", lib.display()),
    ];
    if lib.join("libtorch_cuda.so").exists() {
        args.push(format!("-L{}", lib.display()));
        args.push("-Wl,--no-as-needed,-ltorch_cuda,--as-needed".to_owned());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_linked_only_when_present() {
        let dir = std::env::temp_dir().join(format!("mvl-build-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let without = link_args(&dir);
        assert!(without.iter().all(|a| !a.contains("torch_cuda")));
        assert!(without.iter().any(|a| a.contains("-rpath")));
        std::fs::write(dir.join("libtorch_cuda.so"), b"").expect("write");
        let with = link_args(&dir);
        assert!(
            with.iter()
                .any(|a| a.contains("--no-as-needed,-ltorch_cuda"))
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}

// The README (packaged with the crate) shows a complete program: run it as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
