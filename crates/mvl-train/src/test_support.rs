//! Helpers shared by the unit tests of the training loops.

use crate::error::{Result, TrainError};
use crate::trainer::{Control, Observer};
use std::path::PathBuf;
use tch::{Tensor, nn};

/// A fresh (removed) temporary folder for test `name` of this process.
pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvl-train-loop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// An observer that fails after iteration `at`, as a killed process would stop.
#[derive(Debug)]
pub struct Kill(pub Option<usize>);

impl Observer for Kill {
    fn after_step(&mut self, i: usize, _: f64, _: &nn::VarStore) -> Result<Control> {
        match self.0 {
            Some(k) if i == k => Err(TrainError::Observer {
                label: "test".into(),
                iteration: i,
                message: "killed".into(),
            }),
            _ => Ok(Control::Continue),
        }
    }
}

/// All variables of `vs`, sorted by name, flattened into one f32 vector.
pub fn flat(vs: &nn::VarStore) -> Vec<f32> {
    let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    let parts: Vec<Tensor> = vars.iter().map(|(_, t)| t.flatten(0, -1)).collect();
    Vec::try_from(Tensor::cat(&parts, 0)).expect("f32")
}
