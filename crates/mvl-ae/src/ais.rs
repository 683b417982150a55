//! Annealed importance sampling (AIS; Neal 2001) of the marginal likelihood
//! p(x) = ∫ p(x|z) p(z) dz of decoder-based models: the test log-likelihood of the paper's
//! Table 1 (paper-spec §4.6).
//!
//! For each image x, C chains start at draws from the prior and move through the tempered
//! targets f_t(z) = p(z)·p(x|z)^t for an increasing schedule 0 = t₀ < … < t_{K−1} = 1
//! ([`sigmoid_schedule`]). Before the transition to t_{k+1}, every chain's log-weight grows
//! by log f_{t_{k+1}}(z) − log f_{t_k}(z) = (t_{k+1} − t_k)·log p(x|z); then a Markov
//! transition that leaves f_{t_{k+1}} invariant moves it. The mean of the C weights is an
//! unbiased estimate of p(x); its log ([`ImageEstimate`]) is a stochastic lower bound.
//!
//! Transitions (chosen by the [`Prior`]): Hamiltonian Monte Carlo for N(0, I) latents, and
//! Riemannian Langevin steps with a Metropolis-Hastings test ([`mvl_flows::RiemannianLangevin`])
//! for uniform latents on a sphere. One step size is shared by the whole batch and adapted
//! after each transition towards an acceptance rate of 0.65 ([`StepAdaptation`]).
//!
//! ```
//! use mvl_ae::ais::{Ais, Prior};
//! use tch::{Device, Kind, Tensor};
//! // z ~ N(0, 1), x | z ~ N(z, ½²): p(x) = N(x; 0, 1.25) exactly.
//! tch::manual_seed(0);
//! let x = Tensor::from_slice(&[0.5f64, -1.0, 2.0]);
//! let chains = 16;
//! let xs = x.repeat([chains]);                       // row c·images + i holds image i
//! let log_lik = |z: &Tensor| {
//!     (z.select(1, 0) - &xs).square() * -2.0 - 0.5 * (std::f64::consts::PI / 2.0).ln()
//! };
//! let ais = Ais::new(Prior::standard_normal(1)?, chains as usize, 1000)?;
//! let run = ais.run(&log_lik, 3, (Kind::Double, Device::Cpu))?;
//! for (i, x) in [0.5f64, -1.0, 2.0].into_iter().enumerate() {
//!     let exact = -0.5 * (2.0 * std::f64::consts::PI * 1.25).ln() - x * x / 2.5;
//!     let got = run.images[i];
//!     // Within 4 of its own standard errors (about 0.05 nats here).
//!     assert!((got.log_likelihood - exact).abs() < 4.0 * got.std_error, "{got:?} vs {exact}");
//! }
//! # Ok::<(), mvl_ae::ais::AisError>(())
//! ```

mod adapt;
mod chains;
mod error;
mod estimate;
mod hmc;
mod langevin;
mod model;
mod schedule;
#[cfg(test)]
mod tests;

pub use adapt::{AdaptiveStep, StepAdaptation};
pub use error::{AisError, Result};
pub use estimate::{DatasetEstimate, ImageEstimate};
pub use model::{LogLikelihood, Prior};
pub use schedule::sigmoid_schedule;

use chains::Chains;
use error::setting;
use tch::{Device, Kind, Tensor};

/// The AIS settings: prior (and with it the transition kernel), chains per image, schedule,
/// step adaptation and the number of inner steps of a transition.
///
/// Defaults (paper-spec §4.6): [`sigmoid_schedule`]; HMC with 11 leapfrog position updates and
/// [`StepAdaptation::HMC`]; on a sphere 5 Langevin + MH steps and [`StepAdaptation::LANGEVIN`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ais {
    prior: Prior,
    chains: usize,
    schedule: Vec<f64>,
    adaptation: StepAdaptation,
    inner_steps: usize,
}

/// Where a run stands, handed to the progress callback of [`Ais::run_with_progress`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Transitions done.
    pub done: usize,
    /// Transitions in the run (temperatures − 1).
    pub total: usize,
    /// The step size of the next transition.
    pub step: f64,
    /// The running acceptance rate of the step adaptation.
    pub running_acceptance: f64,
}

/// The outcome of [`Ais::run`] for one batch of images.
#[derive(Debug)]
pub struct AisRun {
    /// The chains' log-weights `[chains, images]`, f64 on the latents' device.
    pub log_weights: Tensor,
    /// The estimate for each image, in batch order.
    pub images: Vec<ImageEstimate>,
    /// The chains' final positions `[chains·images, d]` (approximate posterior draws).
    pub positions: Tensor,
    /// The adapted step size after the last transition.
    pub final_step: f64,
    /// The mean acceptance rate over all transitions.
    pub mean_acceptance: f64,
}

impl AisRun {
    /// The batch's mean log-likelihood with its standard errors.
    pub fn summary(&self) -> DatasetEstimate {
        DatasetEstimate::from_images(&self.images).expect("invariant: a run has at least one image")
    }
}

impl Ais {
    /// AIS for `prior` with `chains` ≥ 2 chains per image (the paper: 16) and the sigmoid
    /// schedule of `temperatures` ≥ 2 values (the paper: 1000); kernel defaults as above.
    ///
    /// Errors: [`AisError::InvalidSetting`] naming the setting.
    pub fn new(prior: Prior, chains: usize, temperatures: usize) -> Result<Self> {
        setting(
            chains >= 2,
            "chains",
            chains as f64,
            "must be at least 2 (the standard error needs two)",
        )?;
        let (adaptation, inner_steps) = match prior {
            Prior::StandardNormal { .. } => (StepAdaptation::HMC, 11),
            Prior::UniformSphere(_) => (StepAdaptation::LANGEVIN, 5),
        };
        Ok(Self {
            prior,
            chains,
            schedule: sigmoid_schedule(temperatures)?,
            adaptation,
            inner_steps,
        })
    }

    /// Replaces the schedule (finite, non-decreasing, from exactly 0 to exactly 1).
    pub fn with_schedule(mut self, schedule: Vec<f64>) -> Result<Self> {
        schedule::check_schedule(&schedule)?;
        self.schedule = schedule;
        Ok(self)
    }

    /// Replaces the step adaptation rule (validated).
    pub fn with_adaptation(mut self, rule: StepAdaptation) -> Result<Self> {
        self.adaptation = rule.validated()?;
        Ok(self)
    }

    /// The leapfrog position updates of an HMC transition, or the Langevin + MH steps of a
    /// transition on the sphere (≥ 1).
    pub fn with_inner_steps(mut self, steps: usize) -> Result<Self> {
        setting(
            steps >= 1,
            "inner steps",
            steps as f64,
            "must be at least 1",
        )?;
        self.inner_steps = steps;
        Ok(self)
    }

    /// The prior.
    pub fn prior(&self) -> &Prior {
        &self.prior
    }

    /// The chains per image.
    pub fn chains(&self) -> usize {
        self.chains
    }

    /// The inverse temperatures t₀ = 0, …, t_{K−1} = 1.
    pub fn schedule(&self) -> &[f64] {
        &self.schedule
    }

    /// Runs AIS for a batch of `images` ≥ 1 images with latents in `options` (take them from
    /// the data, e.g. `(x.kind(), x.device())`); log-weights are accumulated in f64.
    ///
    /// Errors: [`AisError::InvalidSetting`] for no images; [`AisError::ShapeMismatch`] when
    /// `log_lik` does not return `[chains·images]`; [`AisError::NonFinite`] when it is not
    /// finite at a chain's position (where the weights need it), or, with HMC, its gradient
    /// there; [`AisError::Flow`] from the Langevin transitions (a non-finite energy gradient);
    /// [`AisError::Torch`] when libtorch cannot differentiate `log_lik` with respect to z.
    ///
    /// # Shapes
    /// See [`LogLikelihood`]: row c·images + i is chain c of image i.
    pub fn run(
        &self,
        log_lik: &dyn LogLikelihood,
        images: usize,
        options: (Kind, Device),
    ) -> Result<AisRun> {
        self.run_with_progress(log_lik, images, options, usize::MAX, &mut |_| {})
    }

    /// [`Ais::run`], calling `progress` after every `every` ≥ 1 transitions and after the last.
    pub fn run_with_progress(
        &self,
        log_lik: &dyn LogLikelihood,
        images: usize,
        options: (Kind, Device),
        every: usize,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<AisRun> {
        setting(images >= 1, "images", images as f64, "must be at least 1")?;
        setting(
            every >= 1,
            "progress interval",
            every as f64,
            "must be at least 1",
        )?;
        let rows = (self.chains * images) as i64;
        let t = &self.schedule;
        let total = t.len() - 1;
        let mut adapt = AdaptiveStep::new(self.adaptation)?;
        let mut log_w = Tensor::zeros([rows], (Kind::Double, options.1));
        let mut acceptance = 0.0;
        let positions = tch::no_grad(|| -> Result<Tensor> {
            let z0 = self.prior.sample(rows, options);
            let mut chains = Chains::start(&self.prior, log_lik, z0)?;
            for k in 0..total {
                chains.check_finite(k)?;
                log_w += chains.log_likelihood().to_kind(Kind::Double) * (t[k + 1] - t[k]);
                let acc;
                (chains, acc) = chains.transition(self, log_lik, t[k + 1], adapt.step())?;
                adapt.update(acc);
                acceptance += acc / total as f64;
                if (k + 1) % every == 0 || k + 1 == total {
                    progress(&Progress {
                        done: k + 1,
                        total,
                        step: adapt.step(),
                        running_acceptance: adapt.running_acceptance(),
                    });
                }
            }
            Ok(chains.positions())
        })?;
        let log_weights = log_w.view([self.chains as i64, images as i64]);
        Ok(AisRun {
            images: estimate::per_image(&log_weights),
            log_weights,
            positions,
            final_step: adapt.step(),
            mean_acceptance: acceptance,
        })
    }
}
