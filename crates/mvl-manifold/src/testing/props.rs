//! Building blocks of the property-based test suites of the workspace's crates (issue 14):
//! values that break numerical code, tensors of arbitrary shapes and kinds, and a runner that
//! counts the calls a property makes and how many returned typed errors.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use tch::{Kind, Tensor};

/// Ordinary values, mostly, and those that break numerical code: NaN, ±∞, ±0, ±1e300, 1e-300,
/// 1e16, 1e30, 1e38.
pub fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -3.0..3.0f64,
        1 => prop::sample::select(vec![
            f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e300, -1e300, 1e-300, 1e16,
            1e30, 1e38,
        ]),
    ]
}

/// f32, f64 or i64.
pub fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Float), Just(Kind::Double), Just(Kind::Int64)]
}

/// A tensor of the given shape and kind filled with [`value`]s.
fn filled(shape: Vec<i64>, kind: Kind) -> impl Strategy<Value = Tensor> {
    let n: i64 = shape.iter().product();
    prop::collection::vec(value(), n as usize)
        .prop_map(move |v| Tensor::from_slice(&v).view(shape.as_slice()).to_kind(kind))
}

/// Tensors of any rank 0..=3 (dimensions 0..=4), kind and values.
pub fn any_tensor() -> impl Strategy<Value = Tensor> {
    (prop::collection::vec(0..=4i64, 0..=3), kind()).prop_flat_map(|(s, k)| filled(s, k))
}

/// Mostly batches `[b, w]` with b in 0..=5 and w one of `widths`, sometimes any tensor, of
/// any kind and values.
pub fn batch(widths: Vec<i64>) -> impl Strategy<Value = Tensor> {
    let shape = prop_oneof![
        4 => (0..=5i64, prop::sample::select(widths)).prop_map(|(b, w)| vec![b, w]),
        1 => prop::collection::vec(0..=4i64, 0..=3),
    ];
    (shape, kind()).prop_flat_map(|(s, k)| filled(s, k))
}

/// The calls of a property and how many returned typed errors.
#[derive(Debug, Default)]
pub struct Tally {
    calls: Cell<u64>,
    errors: Cell<u64>,
}

impl Tally {
    /// Counts the call that returned `r`, and returns its value.
    pub fn record<T, E>(&self, r: Result<T, E>) -> Option<T> {
        self.calls.set(self.calls.get() + 1);
        r.map_err(|_| self.errors.set(self.errors.get() + 1)).ok()
    }
}

/// Checks `property` on `cases` values of `strategy` (failures are not persisted) and prints
/// `[properties] <label>: <cases> cases, <calls> calls, <errors> typed errors`; panics with
/// proptest's shrunk counterexample when the property panics.
pub fn run<S: Strategy>(label: &str, cases: u32, strategy: S, property: impl Fn(S::Value, &Tally)) {
    let tally = Tally::default();
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&strategy, |v| {
            property(v, &tally);
            Ok(())
        })
        .expect("property holds");
    println!(
        "[properties] {label}: {cases} cases, {} calls, {} typed errors",
        tally.calls.get(),
        tally.errors.get()
    );
}
