//! RMSProp exactly as TensorFlow 1 defines it, which the paper's code used (paper-spec §9.1):
//! accumulator initialised to ONE, decay 0.9, ε = 1e-10 inside the square root, no momentum:
//! v ← 0.9 v + 0.1 g²;  w ← w − lr·g/√(v + 1e-10). libtorch's RMSprop differs in all three.

use tch::{Tensor, nn};

/// The optimiser state: one accumulator per trainable variable.
#[derive(Debug)]
pub struct TfRmsProp {
    lr: f64,
    accumulators: Vec<Tensor>,
}

impl TfRmsProp {
    /// Decay 0.9 and ε = 1e-10 (TF1 defaults).
    pub const DECAY: f64 = 0.9;
    /// ε inside the square root.
    pub const EPS: f64 = 1e-10;

    /// A fresh optimiser for the trainable variables of `vs`.
    pub fn new(vs: &nn::VarStore, lr: f64) -> Self {
        let accumulators = vs
            .trainable_variables()
            .iter()
            .map(|v| v.ones_like())
            .collect();
        Self { lr, accumulators }
    }

    /// One update of the variables of `vs` from their current gradients, then zeroes them.
    pub fn step(&mut self, vs: &nn::VarStore) {
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

    /// The accumulators (for checkpoints).
    pub fn state(&self) -> &[Tensor] {
        &self.accumulators
    }

    /// Restores accumulators saved with [`TfRmsProp::state`].
    pub fn set_state(&mut self, state: Vec<Tensor>) {
        self.accumulators = state;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    /// Two steps by hand: w = 1, g = 2w (loss w²), lr 0.1.
    #[test]
    fn matches_tf1_update_by_hand() {
        let mut vs = nn::VarStore::new(Device::Cpu);
        vs.set_kind(Kind::Double);
        let w = vs.root().var("w", &[1], nn::Init::Const(1.0));
        let mut opt = TfRmsProp::new(&vs, 0.1);
        let mut expect_w = 1.0f64;
        let mut expect_v = 1.0f64;
        for _ in 0..2 {
            w.square().sum(Kind::Double).backward();
            let g = 2.0 * expect_w;
            expect_v = 0.9 * expect_v + 0.1 * g * g;
            expect_w -= 0.1 * g / (expect_v + 1e-10).sqrt();
            opt.step(&vs);
            assert!((w.double_value(&[0]) - expect_w).abs() < 1e-14);
        }
    }
}
