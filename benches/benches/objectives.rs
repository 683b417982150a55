//! The estimators' cost and their variance at fixed cost, on the banana workload of Figure 1:
//! a fixed energy E(x) = ⟨x, ψ(x)⟩ (ψ 2 → 100 → 100 → 2, tanh, f64), batches of 128 banana
//! points, one evaluation = loss + backward.
//!
//! Before the criterion timings, the bench prints for each estimator the variance of the
//! batch loss over noise draws on a fixed batch, the mean time per evaluation and their
//! product: the variance the estimator reaches per millisecond of compute (lower is better;
//! doubling the budget halves it). libtorch threads: `MVL_BENCH_THREADS` (default 1).
//! Run with `cargo bench -p mvl-benches --bench objectives`.

use clap::ValueEnum;
use criterion::{Criterion, criterion_group, criterion_main};
use mvl_experiments::estimators::Estimator;
use mvl_experiments::fixtures::banana;
use mvl_experiments::nets::inner_product_energy;
use mvl_manifold::Energy;
use mvl_objectives::Objective;
use std::time::{Duration, Instant};
use tch::{Device, Kind, Tensor, nn};

const BATCH: i64 = 128;
const EPS: f64 = 1e-3;

/// Every estimator of the factory, ε = 1e-3 (σ = √ε for DSM).
fn estimators() -> Vec<Box<dyn Objective>> {
    Estimator::value_variants()
        .iter()
        .map(|e| e.build(EPS, 2).expect("valid parameters"))
        .collect()
}

/// One evaluation: the batch loss and its backward pass.
fn evaluate(obj: &dyn Objective, e: &dyn Energy, x: &Tensor) -> f64 {
    let loss = obj.loss(e, x).expect("finite loss");
    loss.backward();
    loss.double_value(&[])
}

/// Variance of the batch loss over 400 noise draws on one fixed batch, time per evaluation.
fn variance_per_ms(e: &dyn Energy, x: &Tensor) {
    println!(
        "{:8} {:>14} {:>10} {:>16}",
        "estimator", "loss variance", "ms/eval", "variance x ms"
    );
    for obj in estimators() {
        let draws = 400;
        let start = Instant::now();
        let values: Vec<f64> = (0..draws).map(|_| evaluate(obj.as_ref(), e, x)).collect();
        let ms = start.elapsed().as_secs_f64() * 1e3 / draws as f64;
        let mean = values.iter().sum::<f64>() / draws as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (draws - 1) as f64;
        println!(
            "{:8} {:>14.4e} {:>10.3} {:>16.4e}",
            obj.name(),
            var,
            ms,
            var * ms
        );
    }
}

fn bench(c: &mut Criterion) {
    mvl_benches::configure();
    let mut vs = nn::VarStore::new(Device::Cpu);
    let e = inner_product_energy(&vs.root(), 2, &[100, 100]);
    vs.double();
    let x = banana(BATCH, (Kind::Double, Device::Cpu));
    variance_per_ms(&e, &x);
    let mut group = c.benchmark_group("estimator_loss_backward");
    for obj in estimators() {
        group.bench_function(obj.name(), |b| b.iter(|| evaluate(obj.as_ref(), &e, &x)));
    }
    group.finish();
}

criterion_group! {
    name = objectives;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(objectives);
