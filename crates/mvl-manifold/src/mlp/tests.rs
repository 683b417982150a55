use super::laplacian::{Method, forward_laplacian};
use super::*;
use crate::energy::{InnerProductEnergy, ModuleEnergy, autograd_energy_and_grad};
use crate::metric::max_abs;
use crate::testing::{autograd_laplacian, check_energy, seeded};
use tch::{Device, Kind};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);
const ACTIVATIONS: [Activation; 3] = [Activation::Tanh, Activation::Softplus, Activation::Sigmoid];
const FORMS: [MlpForm; 2] = [MlpForm::Scalar, MlpForm::InnerProduct];

/// An f64 `MlpEnergy` on R^`dim` whose weights the seed fixes, with its variable store.
fn build(dim: i64, spec: &MlpSpec, seed: i64) -> (nn::VarStore, MlpEnergy) {
    tch::manual_seed(seed);
    let mut vs = nn::VarStore::new(Device::Cpu);
    vs.set_kind(Kind::Double);
    let energy = MlpEnergy::new(&vs.root(), dim, spec).expect("valid");
    (vs, energy)
}

/// The same network built independently as an `nn::Sequential` from the same seed, evaluated
/// by `ModuleEnergy` / `InnerProductEnergy` (autograd derivatives).
fn reference(dim: i64, spec: &MlpSpec, seed: i64) -> (nn::VarStore, Box<dyn Energy>) {
    tch::manual_seed(seed);
    let mut vs = nn::VarStore::new(Device::Cpu);
    vs.set_kind(Kind::Double);
    let out = match spec.form {
        MlpForm::Scalar => 1,
        MlpForm::InnerProduct => dim,
    };
    let widths: Vec<i64> = [dim]
        .into_iter()
        .chain(spec.hidden.iter().copied())
        .chain([out])
        .collect();
    let mut seq = nn::seq();
    for (i, w) in widths.windows(2).enumerate() {
        let config = spec.init.linear_config(w[0], w[1]);
        seq = seq.add(nn::linear(
            vs.root() / format!("layer{i}"),
            w[0],
            w[1],
            config,
        ));
        if i + 2 < widths.len() {
            let activation = spec.activation;
            seq = seq.add_fn(move |a| activation.apply(a));
        }
    }
    let energy: Box<dyn Energy> = match spec.form {
        MlpForm::Scalar => Box::new(ModuleEnergy(seq)),
        MlpForm::InnerProduct => Box::new(InnerProductEnergy(seq)),
    };
    (vs, energy)
}

/// Every activation, both forms, 1 to 3 hidden layers, both initialisations.
fn specs() -> Vec<MlpSpec> {
    let mut all = Vec::new();
    for activation in ACTIVATIONS {
        for form in FORMS {
            for hidden in [&[7][..], &[7, 5], &[7, 5, 6]] {
                for init in [MlpInit::Glorot, MlpInit::Torch] {
                    let spec = MlpSpec::new(hidden).activation(activation).form(form);
                    all.push(spec.init(init));
                }
            }
        }
    }
    all
}

#[test]
fn value_and_gradient_equal_autograd_of_the_same_network() {
    let _seed = seeded(16);
    let x = Tensor::randn([9, 3], F64) * 1.5;
    let mut worst: f64 = 0.0;
    for (i, spec) in specs().iter().enumerate() {
        let (vs, mlp) = build(3, spec, 100 + i as i64);
        let (ref_vs, net) = reference(3, spec, 100 + i as i64);
        let (a, b) = (vs.variables(), ref_vs.variables());
        assert_eq!(a.len(), b.len(), "{spec:?}: parameter count");
        for (name, w) in &a {
            assert_eq!(max_abs(&(w - &b[name])), 0.0, "{spec:?}: {name} differs");
        }
        let (value, grad) = mlp.energy_and_grad(&x);
        let (auto_value, auto_grad) = autograd_energy_and_grad(net.as_ref(), &x);
        let errors = [
            max_abs(&(&value - &auto_value)),
            max_abs(&(&grad - &auto_grad)),
            max_abs(&(mlp.grad(&x) - &auto_grad)),
            max_abs(&(mlp.energy(&x) - &auto_value)),
        ];
        for e in errors {
            assert!(e <= 1e-12, "{spec:?}: deviation {e:e} from autograd");
            worst = worst.max(e);
        }
        check_energy(&mlp, &x);
    }
    println!("worst |explicit − autograd| over value and ∇ₓE: {worst:e}");
}

#[test]
fn forward_laplacian_equals_the_autograd_loop() {
    let _seed = seeded(17);
    let mut worst: f64 = 0.0;
    for (k, &d) in [1i64, 2, 17, 100].iter().enumerate() {
        let x = Tensor::randn([5, d], F64);
        for (i, activation) in ACTIVATIONS.into_iter().enumerate() {
            for (j, form) in FORMS.into_iter().enumerate() {
                let spec = MlpSpec::new(&[16, 12]).activation(activation).form(form);
                let (_vs, mlp) = build(d, &spec, (k * 10 + i * 2 + j) as i64);
                let auto = autograd_laplacian(&mlp, &x);
                let (value, grad) = autograd_energy_and_grad(&mlp, &x);
                for method in [Method::Jacobian, Method::Gram] {
                    let second = forward_laplacian(&mlp, &x, method);
                    let errors = [
                        max_abs(&(&second.laplacian - &auto)),
                        max_abs(&(&second.grad - &grad)),
                        max_abs(&(&second.energy - &value)),
                    ];
                    for e in errors {
                        assert!(e <= 1e-10, "d = {d}, {spec:?}, {method:?}: deviation {e:e}");
                        worst = worst.max(e);
                    }
                }
                check_energy(&mlp, &x);
            }
        }
    }
    println!("worst |forward Laplacian − autograd loop|: {worst:e}");
}

/// The two forward-Laplacian methods give the same parameter gradient of a loss built from
/// E, ∇ₓE and ΔₓE (as exact score matching's), on 1 to 3 hidden layers, and the cheaper one
/// is chosen: the Gram form when d exceeds the hidden widths here, or with one hidden layer.
#[test]
fn both_laplacian_methods_have_the_same_parameter_gradient() {
    let _seed = seeded(20);
    let mut worst: f64 = 0.0;
    for (i, hidden) in [&[6][..], &[6, 5], &[6, 5, 7]].into_iter().enumerate() {
        for (j, form) in FORMS.into_iter().enumerate() {
            for d in [3i64, 30] {
                let spec = MlpSpec::new(hidden)
                    .activation(Activation::Softplus)
                    .form(form);
                let (vs, mlp) = build(d, &spec, (i * 4 + j * 2) as i64 + d);
                let x = Tensor::randn([4, d], F64);
                let gradients = [Method::Jacobian, Method::Gram].map(|method| {
                    let second = forward_laplacian(&mlp, &x, method);
                    let loss = (second.grad.square().sum(Kind::Double) * 0.5
                        + second.laplacian.sum(Kind::Double)
                        + second.energy.sum(Kind::Double))
                        / 4.0;
                    let params = vs.trainable_variables();
                    Tensor::run_backward(&[loss], &params, false, false)
                });
                for (a, b) in gradients[0].iter().zip(&gradients[1]) {
                    let e = max_abs(&(a - b)) / (1.0 + max_abs(a));
                    assert!(e <= 1e-12, "{spec:?}, d = {d}: relative deviation {e:e}");
                    worst = worst.max(e);
                }
                // One hidden layer needs no per-row Gram matrix at all.
                let expected = if d == 30 || hidden.len() == 1 {
                    Method::Gram
                } else {
                    Method::Jacobian
                };
                assert_eq!(Method::cheaper(&mlp), expected, "{spec:?}, d = {d}");
            }
        }
    }
    println!("worst relative |Gram − Jacobian| over θ-gradients: {worst:e}");
}

/// Wide layers make the Gram method split the batch into chunks of rows (here 2 rows of a
/// 1024 × 512 layer per chunk, so 5 rows run as 3 chunks); the result is the autograd loop's.
#[test]
fn the_gram_method_over_chunks_of_rows_equals_the_autograd_loop() {
    let _seed = seeded(21);
    for form in FORMS {
        let spec = MlpSpec::new(&[512, 1024]).form(form);
        let (_vs, mlp) = build(3, &spec, 7);
        let x = Tensor::randn([5, 3], F64);
        let second = forward_laplacian(&mlp, &x, Method::Gram);
        let (value, grad) = autograd_energy_and_grad(&mlp, &x);
        let errors = [
            max_abs(&(&second.laplacian - autograd_laplacian(&mlp, &x))),
            max_abs(&(&second.grad - &grad)),
            max_abs(&(&second.energy - &value)),
        ];
        for e in errors {
            assert!(e <= 1e-10, "{form:?}: deviation {e:e}");
        }
    }
}

/// Pre-activations beyond libtorch's softplus threshold (20), where softplus is the identity:
/// the explicit derivatives follow the function libtorch evaluates.
#[test]
fn softplus_derivatives_beyond_the_threshold() {
    let _seed = seeded(18);
    for form in FORMS {
        let spec = MlpSpec::new(&[8])
            .activation(Activation::Softplus)
            .form(form);
        let (_vs, mlp) = build(2, &spec, 5);
        // Scale the inputs until some pre-activation exceeds the threshold, others not.
        let x = Tensor::randn([16, 2], F64) * 40.0;
        let pre = mlp.hidden[0].forward(&x);
        assert!(pre.gt(20.0).any().int64_value(&[]) == 1, "no row beyond it");
        assert!(pre.le(20.0).any().int64_value(&[]) == 1, "no row below it");
        check_energy(&mlp, &x);
    }
    // In f32 the unthresholded sigmoid is the thresholded slope, bit for bit (the shortcut
    // of `below_float_precision` in the libtorch path, which devices other than the CPU
    // take), and so is the curvature.
    let a = Tensor::linspace(-40.0, 200.0, 100_001, (Kind::Float, Device::Cpu));
    let (value, slope) = Activation::Softplus.libtorch_with_slope(&a);
    let below = a.le(SOFTPLUS_THRESHOLD);
    let thresholded = a.sigmoid().where_scalarother(&below, 1.0);
    assert_eq!(max_abs(&(&slope - &thresholded)), 0.0);
    let curvature = Activation::Softplus.curvature(&a, &value, &slope);
    let expected = (&thresholded * (-&thresholded + 1.0)).where_scalarother(&below, 0.0);
    assert_eq!(max_abs(&(curvature - expected)), 0.0);
}

#[test]
fn an_mlp_without_hidden_layers_is_affine() {
    let _seed = seeded(19);
    let spec = MlpSpec::new(&[]).init(MlpInit::Torch);
    let (_vs, mlp) = build(4, &spec, 3);
    let x = Tensor::randn([3, 4], F64);
    let second = mlp.laplacian(&x).expect("MLPs have one");
    assert_eq!(max_abs(&second.laplacian), 0.0);
    let w = mlp.output.ws.get(0);
    assert!(max_abs(&(second.grad - &w)) < 1e-15);
    assert!(max_abs(&(mlp.grad(&x) - w)) < 1e-15);
}

#[test]
fn shapes_input_width_and_errors() {
    let vs = nn::VarStore::new(Device::Cpu);
    let spec = MlpSpec::new(&[4]).form(MlpForm::InnerProduct);
    let mlp = MlpEnergy::new(&vs.root(), 3, &spec).expect("valid");
    assert_eq!(mlp.input_dim(), Some(3));
    assert_eq!(
        mlp.network(&Tensor::zeros([2, 3], (Kind::Float, Device::Cpu)))
            .size(),
        [2, 3]
    );
    assert!(matches!(
        MlpEnergy::new(&vs.root(), 0, &spec),
        Err(ManifoldError::InvalidDimension { got: 0, .. })
    ));
    let zero_width = MlpSpec::new(&[4, 0]);
    assert!(matches!(
        MlpEnergy::new(&vs.root(), 3, &zero_width),
        Err(ManifoldError::InvalidDimension { got: 0, .. })
    ));
    // Glorot: weights within ±√(6/(fan_in + fan_out)), zero biases.
    let vars = vs.variables();
    let limit = (6.0f64 / 7.0).sqrt();
    assert!(max_abs(&vars["layer0.weight"]) <= limit);
    assert_eq!(max_abs(&vars["layer0.bias"]), 0.0);
}
