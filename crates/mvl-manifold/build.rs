//! Links libtorch for this package's binaries (rpath, libtorch_cuda) and compiles the fused
//! softplus kernel (`src/mlp/softplus.cpp`, used by `MlpEnergy`); see `mvl-build`.

fn main() {
    mvl_build::link_libtorch();
    mvl_build::compile_libtorch_cpp(
        "mvl_manifold_kernels",
        &["src/mlp/softplus.cpp"],
        "mvl_fused_softplus",
    );
}
