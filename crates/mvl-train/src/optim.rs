//! Optimisers whose whole state can be saved and restored, so that a resumed run continues
//! bit for bit: RMSProp exactly as TensorFlow 1 defines it (the authors' optimiser) and Adam.
//!
//! libtorch's own optimisers (`tch::nn::Optimizer`) keep their state inside C++ where it
//! cannot be read back, which rules out exact resumption; these are written with tensor
//! operations instead (the update is the only thing an optimiser adds).

use crate::error::{Result, TrainError, positive, unit_interval};
use crate::fused::{AdamCoefficients, adam_step, libtorch_adam_step};
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor, nn};

/// An optimiser over the trainable variables of a [`nn::VarStore`].
pub trait Optimizer: std::fmt::Debug + Send {
    /// One update of the trainable variables of `vs` from their gradients, which it then
    /// zeroes. Variables without a gradient are left alone.
    fn step(&mut self, vs: &nn::VarStore);
    /// The state, as tensors, for checkpoints.
    fn state(&self) -> Vec<Tensor>;
    /// Restores a state saved with [`Optimizer::state`]; [`TrainError::StateMismatch`] when
    /// it does not fit this optimiser's variables (number, shapes, kinds or devices of the
    /// tensors; Adam's step counter must be an integer in [0, 2³¹)).
    fn load_state(&mut self, state: Vec<Tensor>) -> Result<()>;
}

/// Which optimiser, with its settings (serialisable, so checkpoints can tell runs apart).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum OptimizerConfig {
    /// [`TfRmsProp`] with learning rate `lr`.
    TfRmsProp {
        /// Learning rate.
        lr: f64,
    },
    /// [`Adam`].
    Adam {
        /// Learning rate.
        lr: f64,
        /// Decay of the first moment.
        beta1: f64,
        /// Decay of the second moment.
        beta2: f64,
        /// Added to the root of the second moment.
        eps: f64,
    },
}

impl OptimizerConfig {
    /// Adam with PyTorch's defaults (β₁ 0.9, β₂ 0.999, ε 1e-8) and learning rate `lr`.
    pub fn adam(lr: f64) -> Self {
        Self::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// The optimiser for the trainable variables of `vs`, with its settings checked.
    pub fn build(&self, vs: &nn::VarStore) -> Result<Box<dyn Optimizer>> {
        Ok(match *self {
            Self::TfRmsProp { lr } => Box::new(TfRmsProp::new(vs, lr)?),
            Self::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => Box::new(Adam::new(vs, lr, beta1, beta2, eps)?),
        })
    }
}

/// RMSProp exactly as TensorFlow 1 defines it, which the paper's code used (paper-spec §9.1):
/// accumulator initialised to ONE, decay 0.9, ε = 1e-10 inside the square root, no momentum:
/// v ← 0.9 v + 0.1 g²;  w ← w − lr·g/√(v + 1e-10). libtorch's RMSprop differs in all three.
#[derive(Debug)]
pub struct TfRmsProp {
    lr: f64,
    accumulators: Vec<Tensor>,
}

impl TfRmsProp {
    /// Decay 0.9 (TF1 default).
    pub const DECAY: f64 = 0.9;
    /// ε inside the square root (TF1 default).
    pub const EPS: f64 = 1e-10;

    /// A fresh optimiser for the trainable variables of `vs`.
    pub fn new(vs: &nn::VarStore, lr: f64) -> Result<Self> {
        let lr = positive("learning rate", lr)?;
        let accumulators = vs
            .trainable_variables()
            .iter()
            .map(Tensor::ones_like)
            .collect();
        Ok(Self { lr, accumulators })
    }
}

impl Optimizer for TfRmsProp {
    fn step(&mut self, vs: &nn::VarStore) {
        tch::no_grad(|| {
            for (mut var, acc) in vs
                .trainable_variables()
                .into_iter()
                .zip(&mut self.accumulators)
            {
                let mut g = var.grad();
                if !g.defined() {
                    continue;
                }
                *acc = &*acc * Self::DECAY + g.square() * (1.0 - Self::DECAY);
                let update = &g / (&*acc + Self::EPS).sqrt() * self.lr;
                let _ = var.f_sub_(&update);
                let _ = g.zero_();
            }
        });
    }

    fn state(&self) -> Vec<Tensor> {
        self.accumulators
            .iter()
            .map(Tensor::shallow_clone)
            .collect()
    }

    fn load_state(&mut self, state: Vec<Tensor>) -> Result<()> {
        check_like("TF1 RMSProp", &self.accumulators, &state)?;
        self.accumulators = state;
        Ok(())
    }
}

/// Adam (Kingma & Ba 2015, Algorithm 1, with the bias corrections folded into the step as
/// PyTorch does): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², t ← t + 1,
/// w ← w − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
#[derive(Debug)]
pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    t: i64,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

impl Adam {
    /// A fresh optimiser for the trainable variables of `vs`.
    pub fn new(vs: &nn::VarStore, lr: f64, beta1: f64, beta2: f64, eps: f64) -> Result<Self> {
        let zeros = || -> Vec<Tensor> {
            vs.trainable_variables()
                .iter()
                .map(Tensor::zeros_like)
                .collect()
        };
        Ok(Self {
            lr: positive("learning rate", lr)?,
            beta1: unit_interval("beta1", beta1)?,
            beta2: unit_interval("beta2", beta2)?,
            eps: positive("eps", eps)?,
            t: 0,
            m: zeros(),
            v: zeros(),
        })
    }
}

impl Optimizer for Adam {
    fn step(&mut self, vs: &nn::VarStore) {
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t as i32);
        let c2 = (1.0 - self.beta2.powi(self.t as i32)).sqrt();
        tch::no_grad(|| {
            let vars = vs.trainable_variables();
            for ((mut var, m), v) in vars.into_iter().zip(&mut self.m).zip(&mut self.v) {
                let mut g = var.grad();
                if !g.defined() {
                    continue;
                }
                // m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g² as lerps; then
                // θ ← θ − (lr/c₁)·m / (√v/c₂ + ε) written as θ + m / s with
                // s = −(√v + εc₂)·c₁/(lr·c₂): one fused pass on the CPU for parameters of up
                // to 32,768 elements, eight in-place operations otherwise.
                let coefficients = AdamCoefficients {
                    w1: 1.0 - self.beta1,
                    w2: 1.0 - self.beta2,
                    eps_c2: self.eps * c2,
                    scale: -c1 / (self.lr * c2),
                };
                if !adam_step(&mut var, &mut g, m, v, coefficients) {
                    libtorch_adam_step(&mut var, &mut g, m, v, coefficients);
                }
            }
        });
    }

    fn state(&self) -> Vec<Tensor> {
        // Copies: the moments are updated in place.
        let mut s: Vec<Tensor> = self.m.iter().map(Tensor::copy).collect();
        s.extend(self.v.iter().map(Tensor::copy));
        s.push(Tensor::from(self.t));
        s
    }

    fn load_state(&mut self, mut state: Vec<Tensor>) -> Result<()> {
        let t = state
            .pop()
            .filter(|t| t.numel() == 1)
            .map(|t| t.reshape([1]).to_kind(Kind::Double).double_value(&[0]));
        let t = match t {
            Some(t) if t.fract() == 0.0 && (0.0..=f64::from(i32::MAX)).contains(&t) => t as i64,
            _ => {
                return Err(TrainError::StateMismatch {
                    what: "Adam".into(),
                    reason: format!("the step counter must be an integer in [0, 2^31), got {t:?}"),
                });
            }
        };
        let v = state.split_off(state.len() / 2);
        check_like("Adam first moments", &self.m, &state)?;
        check_like("Adam second moments", &self.v, &v)?;
        (self.m, self.v, self.t) = (state, v, t);
        Ok(())
    }
}

/// Checks that `got` has as many tensors as `want`, with the same shapes, kinds and devices.
fn check_like(what: &str, want: &[Tensor], got: &[Tensor]) -> Result<()> {
    let layout = |ts: &[Tensor]| {
        ts.iter()
            .map(|t| (t.size(), t.kind(), t.device()))
            .collect::<Vec<_>>()
    };
    if layout(want) == layout(got) {
        Ok(())
    } else {
        Err(TrainError::StateMismatch {
            what: what.into(),
            reason: format!(
                "saved (shape, kind, device) {:?}, model needs {:?}",
                layout(got),
                layout(want)
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn scalar_store() -> (nn::VarStore, Tensor) {
        let mut vs = nn::VarStore::new(Device::Cpu);
        vs.set_kind(Kind::Double);
        let w = vs.root().var("w", &[1], nn::Init::Const(1.0));
        (vs, w)
    }

    /// Two TF1 RMSProp steps by hand: w = 1, g = 2w (loss w²), lr 0.1.
    #[test]
    fn rmsprop_matches_tf1_update_by_hand() {
        let (vs, w) = scalar_store();
        let mut opt = TfRmsProp::new(&vs, 0.1).expect("valid");
        let (mut expect_w, mut expect_v) = (1.0f64, 1.0f64);
        for _ in 0..2 {
            w.square().sum(Kind::Double).backward();
            let g = 2.0 * expect_w;
            expect_v = 0.9 * expect_v + 0.1 * g * g;
            expect_w -= 0.1 * g / (expect_v + 1e-10).sqrt();
            opt.step(&vs);
            assert!((w.double_value(&[0]) - expect_w).abs() < 1e-14);
        }
    }

    /// Three Adam steps by hand against Kingma & Ba's Algorithm 1 (loss w², w₀ = 1).
    #[test]
    fn adam_matches_algorithm_1_by_hand() {
        let (vs, w) = scalar_store();
        let (lr, b1, b2, eps) = (0.1, 0.9, 0.999, 1e-8);
        let mut opt = Adam::new(&vs, lr, b1, b2, eps).expect("valid");
        let (mut ew, mut m, mut v) = (1.0f64, 0.0f64, 0.0f64);
        for t in 1..=3 {
            w.square().sum(Kind::Double).backward();
            let g = 2.0 * ew;
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * g * g;
            let (mh, vh) = (m / (1.0 - b1.powi(t)), v / (1.0 - b2.powi(t)));
            ew -= lr * mh / (vh.sqrt() + eps);
            opt.step(&vs);
            assert!((w.double_value(&[0]) - ew).abs() < 1e-12, "step {t}");
        }
    }

    #[test]
    fn state_round_trips_and_mismatches_are_errors() {
        let (vs, _) = scalar_store();
        for config in [
            OptimizerConfig::adam(1e-3),
            OptimizerConfig::TfRmsProp { lr: 1e-3 },
        ] {
            let mut opt = config.build(&vs).expect("valid");
            let state = opt.state();
            opt.load_state(state).expect("same shapes");
            assert!(matches!(
                opt.load_state(vec![Tensor::zeros([4], (Kind::Double, Device::Cpu))]),
                Err(TrainError::StateMismatch { .. })
            ));
        }
    }

    #[test]
    fn invalid_settings_name_the_value() {
        let (vs, _) = scalar_store();
        for (config, name) in [
            (OptimizerConfig::TfRmsProp { lr: -1.0 }, "learning rate"),
            (OptimizerConfig::adam(f64::NAN), "learning rate"),
            (
                OptimizerConfig::Adam {
                    lr: 1e-3,
                    beta1: 1.0,
                    beta2: 0.999,
                    eps: 1e-8,
                },
                "beta1",
            ),
        ] {
            match config.build(&vs) {
                Err(TrainError::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{config:?}: expected InvalidParameter, got {other:?}"),
            }
        }
    }
}
