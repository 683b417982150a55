//! Timing of the MNIST VAE workloads (issue 13): one training iteration of the implicit VAE
//! (autoencoder phase + energy phase, through [`mvl_train::train_groups`] exactly as
//! `mnist-vae` runs it) and one AIS transition (through [`mvl_ae::test_log_likelihood`] as
//! `mnist-vae-eval` runs it). Nothing is reimplemented here: the clocks are a [`PhaseStep`]
//! wrapper, an [`Observer`] and the AIS progress callback, so the timed code is the real code.

use crate::mnist::{Encoder, Latent, Model, RunSpec, ScoreObjective, build, score_objective};
use anyhow::{Result, bail};
use mvl_ae::data::binarize;
use mvl_ae::implicit_vae::ImplicitVaeStep;
use mvl_ae::{ais_for, test_log_likelihood};
use mvl_train::{Control, GroupsConfig, Observer, PhaseError, PhaseStep, train_groups};
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;
use tch::{Device, Kind, Tensor, nn};

/// Median and quartiles (linear interpolation between order statistics, numpy's default) of
/// a set of timings in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// The median.
    pub median_ms: f64,
    /// The first quartile.
    pub q1_ms: f64,
    /// The third quartile.
    pub q3_ms: f64,
    /// How many timings.
    pub n: usize,
}

impl Spread {
    /// The spread of `samples` (at least one).
    pub fn of(samples: &[f64]) -> Result<Self> {
        if samples.is_empty() {
            bail!("no timings to summarise");
        }
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let pos = p * (s.len() - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(s.len() - 1);
            s[lo] + (pos - lo as f64) * (s[hi] - s[lo])
        };
        Ok(Self {
            median_ms: q(0.5),
            q1_ms: q(0.25),
            q3_ms: q(0.75),
            n: s.len(),
        })
    }
}

/// The timings of the training iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainTiming {
    /// Whole iteration (both phases: loss, backward, RMSProp step each).
    pub iteration: Spread,
    /// The autoencoder phase (−ELBO).
    pub autoencoder: Spread,
    /// The energy phase (Riemannian MVL loss with the sampler step differentiated).
    pub energy: Spread,
    /// Median energy phase over median iteration.
    pub energy_share: f64,
}

/// The timings of AIS transitions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AisTiming {
    /// One transition for the whole batch (images × chains rows).
    pub transition: Spread,
    /// The mean acceptance over the timed run (a sanity check that the chains move).
    pub mean_acceptance: f64,
}

/// The sizes of the workloads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sizes {
    /// Latent dimension nz (S^nz ⊂ R^{nz+1}, or R^nz).
    pub nz: i64,
    /// Training batch.
    pub batch: i64,
    /// AIS images per batch.
    pub images: i64,
    /// AIS chains per image.
    pub chains: usize,
}

/// Untimed and timed repetitions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reps {
    /// Untimed warm-up repetitions (≥ 1 for AIS: the first transition includes the set-up).
    pub warmup: usize,
    /// Timed repetitions (≥ 1).
    pub timed: usize,
}

fn spec(latent: Latent, nz: i64) -> RunSpec {
    RunSpec {
        latent,
        nz,
        encoder: Encoder::Implicit,
        objective: Some(ScoreObjective::Mvl),
        seed: 0,
    }
}

/// When each phase of each iteration started and when the iteration ended:
/// (iteration, event) with event 0, 1 = phase start, 2 = end of the iteration.
type Marks = Rc<RefCell<Vec<(usize, usize, Instant)>>>;

/// A [`PhaseStep`] that notes the time before handing over to the real one.
struct Clocked<'a> {
    inner: ImplicitVaeStep<'a>,
    marks: Marks,
}

impl PhaseStep for Clocked<'_> {
    fn loss(&mut self, iteration: usize, phase: usize) -> std::result::Result<Tensor, PhaseError> {
        self.marks
            .borrow_mut()
            .push((iteration, phase, Instant::now()));
        self.inner.loss(iteration, phase)
    }
}

/// Notes the end of every iteration (after both phases' updates).
#[derive(Debug)]
struct EndClock(Marks);

impl Observer for EndClock {
    fn after_step(&mut self, _: usize, _: f64, _: &nn::VarStore) -> mvl_train::Result<Control> {
        Ok(Control::Continue)
    }

    fn after_phases(
        &mut self,
        iteration: usize,
        _: &[f64],
        _: &[&nn::VarStore],
    ) -> mvl_train::Result<Control> {
        self.0.borrow_mut().push((iteration, 2, Instant::now()));
        Ok(Control::Continue)
    }
}

/// Times `reps` training iterations of the implicit VAE on S^nz (f32, CPU, TF1 RMSProp 1e-3
/// for both groups) on a fixed batch of uniform pixel intensities, binarised afresh each
/// iteration as in training.
pub fn time_training(sizes: Sizes, reps: Reps) -> Result<TrainTiming> {
    crate::seed(0);
    let spec = spec(Latent::Sph, sizes.nz);
    let mut built = build(&spec, 1e-3, Device::Cpu)?;
    let Model::Implicit(model) = &built.model else {
        bail!("the implicit VAE was expected");
    };
    let objective = score_objective(&spec, model)?;
    let pixels = Tensor::rand([sizes.batch, 784], (Kind::Float, Device::Cpu));
    let batch = |_: usize| pixels.shallow_clone();
    let marks = Marks::default();
    let mut step = Clocked {
        inner: ImplicitVaeStep::new(model, objective.as_ref(), &batch),
        marks: marks.clone(),
    };
    let config = GroupsConfig {
        label: "bench-vae".into(),
        iterations: reps.warmup + reps.timed,
        groups: built.groups.clone(),
        seed: Some(0),
        checkpoint_every: usize::MAX,
        extra: serde_json::Value::Null,
    };
    let mut end = EndClock(marks.clone());
    let mut stores: Vec<&mut nn::VarStore> = built.stores.iter_mut().collect();
    train_groups(&config, &mut stores, &mut step, &mut [&mut end], None)?;
    let mut phase = [Vec::new(), Vec::new(), Vec::new()];
    let marks = marks.borrow();
    for it in marks.chunks_exact(3).skip(reps.warmup) {
        let [(i, 0, t0), (j, 1, t1), (k, 2, t2)] = it else {
            bail!("unexpected phase order {it:?}");
        };
        if i != j || j != k {
            bail!("phases of different iterations {it:?}");
        }
        let ms = |a: &Instant, b: &Instant| b.duration_since(*a).as_secs_f64() * 1e3;
        phase[0].push(ms(t0, t2));
        phase[1].push(ms(t0, t1));
        phase[2].push(ms(t1, t2));
    }
    let (iteration, energy) = (Spread::of(&phase[0])?, Spread::of(&phase[2])?);
    Ok(TrainTiming {
        iteration,
        autoencoder: Spread::of(&phase[1])?,
        energy,
        energy_share: energy.median_ms / iteration.median_ms,
    })
}

/// Times AIS transitions for `images` random binary images × `chains` chains with the
/// (untrained, Glorot-initialised) decoder of the implicit VAE on `latent` with nz latents:
/// HMC with 11 leapfrog position updates in R^nz, 5 Riemannian Langevin + MH steps on S^nz.
pub fn time_ais(latent: Latent, sizes: Sizes, reps: Reps) -> Result<AisTiming> {
    if reps.warmup == 0 {
        bail!("AIS needs at least one warm-up transition (the first includes the set-up)");
    }
    crate::seed(0);
    let built = build(&spec(latent, sizes.nz), 1e-3, Device::Cpu)?;
    let x = binarize(&Tensor::rand(
        [sizes.images, 784],
        (Kind::Float, Device::Cpu),
    ));
    let transitions = reps.warmup + reps.timed;
    let ais = ais_for(built.model.decoder(), sizes.chains, transitions + 1)?;
    let mut marks = Vec::with_capacity(transitions);
    let run = test_log_likelihood(&ais, built.model.decoder(), &x, 1, &mut |_| {
        marks.push(Instant::now())
    })?;
    let times: Vec<f64> = marks
        .windows(2)
        .map(|w| w[1].duration_since(w[0]).as_secs_f64() * 1e3)
        .skip(reps.warmup - 1)
        .collect();
    Ok(AisTiming {
        transition: Spread::of(&times)?,
        mean_acceptance: run.mean_acceptance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_like_numpy() {
        let s = Spread::of(&[4.0, 1.0, 3.0, 2.0]).expect("some");
        assert_eq!((s.q1_ms, s.median_ms, s.q3_ms, s.n), (1.75, 2.5, 3.25, 4));
        assert_eq!(Spread::of(&[7.0]).expect("one").q3_ms, 7.0);
        assert!(Spread::of(&[]).is_err());
    }
}
