//! Links libtorch for this package's binaries (rpath, libtorch_cuda) and compiles the fused
//! Adam kernel (`src/adam.cpp`); see `mvl-build`.

fn main() {
    mvl_build::link_libtorch();
    mvl_build::compile_libtorch_cpp("mvl_train_kernels", &["src/adam.cpp"], "mvl_fused_adam");
}
