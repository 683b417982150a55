//! One step of every gradient flow of `mvl-flows` (noise drawn, energy gradient with
//! `create_graph`, as in minimum velocity learning) for d ∈ {2, 64, 784}, batch 128, with a
//! small MLP energy d → 128 → 128 → 1 (tanh), f32.
//!
//! Manifold flows run on the sphere S^{d−1} ⊂ R^d. Device: CUDA when available, else CPU.
//! libtorch's intra-op threads: `MVL_BENCH_THREADS` (default 1: on a shared 2-core machine
//! more threads make small steps slower, not faster). Run with
//! `cargo bench -p mvl-benches --bench flows`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mvl_experiments::fixtures::reference_mlp;
use mvl_flows::{BirthDeathLangevin, GradientFlow, Langevin, RiemannianLangevin, Spos, Svgd};
use mvl_manifold::{Manifold, ModuleEnergy, Sphere};
use std::time::Duration;
use tch::{Device, Kind, Tensor, nn};

const BATCH: i64 = 128;
const DIMS: [i64; 3] = [2, 64, 784];

type Case = (&'static str, Box<dyn GradientFlow>);

const EPS: f64 = 1e-3;
const VALID: &str = "valid parameters";

/// The flows in flat R^d.
fn flat_flows() -> Vec<Case> {
    let langevin = Langevin::new(EPS).expect(VALID);
    vec![
        (
            "Langevin",
            Box::new(langevin.energy_scale(0.5).expect(VALID).rescaled(true)),
        ),
        ("MALA", Box::new(langevin.metropolis(true))),
        ("SVGD", Box::new(Svgd::new(EPS).expect(VALID))),
        ("SPOS", Box::new(Spos::new(EPS).expect(VALID))),
        (
            "BirthDeathLangevin",
            Box::new(BirthDeathLangevin::new(EPS).expect(VALID)),
        ),
    ]
}

/// The flows on the sphere S^{d−1} ⊂ R^d.
fn sphere_flows(d: i64) -> Vec<Case> {
    let sphere = Sphere::new(d - 1).expect("d ≥ 2");
    let rld = RiemannianLangevin::new(sphere, EPS).expect(VALID);
    vec![
        ("RiemannianLangevin", Box::new(rld.rescaled(true))),
        ("RiemannianMALA", Box::new(rld.metropolis(true))),
        (
            "SVGD-sphere-chart",
            Box::new(Svgd::new(EPS).expect(VALID).on(sphere)),
        ),
    ]
}

fn bench_flows(c: &mut Criterion) {
    let threads = mvl_benches::configure();
    let device = Device::cuda_if_available();
    let mut group = c.benchmark_group(format!(
        "flow step, batch {BATCH}, {device:?}, {threads} thread(s)"
    ));
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    for d in DIMS {
        let vs = nn::VarStore::new(device);
        let energy = ModuleEnergy(reference_mlp(&vs.root(), d, &[128, 128]));
        let flat = Tensor::randn([BATCH, d], (Kind::Float, device));
        let on_sphere = Sphere::new(d - 1).expect("d ≥ 2").project(&flat);
        let flat_cases = flat_flows().into_iter().map(|(n, f)| (n, f, &flat));
        let sphere_cases = sphere_flows(d).into_iter().map(|(n, f)| (n, f, &on_sphere));
        for (name, flow, x) in flat_cases.chain(sphere_cases) {
            group.bench_with_input(BenchmarkId::new(name, d), x, |b, x| {
                b.iter(|| {
                    let step = flow.step(&energy, x).expect("step");
                    if let Device::Cuda(i) = device {
                        tch::Cuda::synchronize(i as i64);
                    }
                    step
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_flows);
criterion_main!(benches);
