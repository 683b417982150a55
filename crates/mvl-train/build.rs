//! Links libtorch for this package's binaries (rpath, libtorch_cuda); see `mvl-build`.

fn main() {
    mvl_build::link_libtorch();
}
