//! The adaptive step size of the AIS transitions (paper-spec §4.6).

use super::error::{Result, setting};

/// The rule that adapts the one step size shared by all chains of a batch (paper-spec §4.6,
/// the authors' AIS code): after each transition, with the *previous* running acceptance r,
///
/// step ← clip(step · (`increase` if r > `target` else `decrease`), `min`, `max`),
/// r ← `decay`·r + (1 − `decay`)·a,
///
/// where a is the transition's mean acceptance over the batch and r starts at `target`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepAdaptation {
    /// The step size of the first transition.
    pub initial: f64,
    /// The smallest step size.
    pub min: f64,
    /// The largest step size.
    pub max: f64,
    /// The target acceptance rate, also the initial running acceptance (0.65).
    pub target: f64,
    /// The factor applied when the running acceptance is above the target (1.02).
    pub increase: f64,
    /// The factor applied otherwise (0.98).
    pub decrease: f64,
    /// The running acceptance's decay (0.9).
    pub decay: f64,
}

impl StepAdaptation {
    /// The authors' HMC rule: initial step 0.01, clipped to [1e-4, 0.5].
    pub const HMC: Self = Self::with_range(0.01, 1e-4, 0.5);

    /// The authors' Riemannian Langevin rule: initial step 0.02, clipped to [1e-4, 0.2].
    pub const LANGEVIN: Self = Self::with_range(0.02, 1e-4, 0.2);

    /// The authors' factors (target 0.65, ×1.02 / ×0.98, decay 0.9) with the given initial
    /// step and range.
    pub const fn with_range(initial: f64, min: f64, max: f64) -> Self {
        Self {
            initial,
            min,
            max,
            target: 0.65,
            increase: 1.02,
            decrease: 0.98,
            decay: 0.9,
        }
    }

    /// Checks 0 < min ≤ initial ≤ max < ∞, target and decay in [0, 1], factors > 0.
    pub(crate) fn validated(self) -> Result<Self> {
        let finite_pos = |v: f64| v.is_finite() && v > 0.0;
        setting(
            finite_pos(self.min),
            "min step",
            self.min,
            "must be finite and > 0",
        )?;
        setting(
            finite_pos(self.max) && self.max >= self.min,
            "max step",
            self.max,
            "must be finite and >= the min step",
        )?;
        setting(
            self.initial >= self.min && self.initial <= self.max,
            "initial step",
            self.initial,
            "must lie in [min, max]",
        )?;
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        setting(
            unit(self.target),
            "target acceptance",
            self.target,
            "must lie in [0, 1]",
        )?;
        setting(
            unit(self.decay),
            "acceptance decay",
            self.decay,
            "must lie in [0, 1]",
        )?;
        for (name, v) in [
            ("step increase", self.increase),
            ("step decrease", self.decrease),
        ] {
            setting(finite_pos(v), name, v, "must be finite and > 0")?;
        }
        Ok(self)
    }
}

/// The state of a [`StepAdaptation`]: the current step and running acceptance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveStep {
    rule: StepAdaptation,
    step: f64,
    running: f64,
}

impl AdaptiveStep {
    /// The initial state of `rule` (step `initial`, running acceptance `target`).
    pub fn new(rule: StepAdaptation) -> Result<Self> {
        let rule = rule.validated()?;
        Ok(Self {
            rule,
            step: rule.initial,
            running: rule.target,
        })
    }

    /// The step size for the next transition.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// The running acceptance rate.
    pub fn running_acceptance(&self) -> f64 {
        self.running
    }

    /// Records the mean acceptance of a transition and adapts the step (rule:
    /// [`StepAdaptation`]).
    pub fn update(&mut self, acceptance: f64) {
        let r = &self.rule;
        let factor = if self.running > r.target {
            r.increase
        } else {
            r.decrease
        };
        self.step = (self.step * factor).clamp(r.min, r.max);
        self.running = r.decay * self.running + (1.0 - r.decay) * acceptance;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ais::AisError;

    /// The rule by hand: the first update shrinks the step (r = 0.65 is not above the target)
    /// even though everything was accepted; the second grows it (r = 0.685); the decision uses
    /// the running value *before* the update.
    #[test]
    fn follows_the_rule_with_the_old_running_acceptance() {
        let mut a = AdaptiveStep::new(StepAdaptation::HMC).expect("valid");
        assert_eq!((a.step(), a.running_acceptance()), (0.01, 0.65));
        a.update(1.0);
        assert!((a.step() - 0.0098).abs() < 1e-15);
        assert!((a.running_acceptance() - 0.685).abs() < 1e-15);
        a.update(0.0);
        assert!((a.step() - 0.0098 * 1.02).abs() < 1e-15);
        assert!((a.running_acceptance() - 0.6165).abs() < 1e-15);
        a.update(0.0);
        assert!((a.step() - 0.0098 * 1.02 * 0.98).abs() < 1e-15);
    }

    /// Always accepting drives the step to the upper clip, never accepting to the lower one.
    #[test]
    fn clips_to_the_range() {
        for (rule, max) in [(StepAdaptation::HMC, 0.5), (StepAdaptation::LANGEVIN, 0.2)] {
            let mut a = AdaptiveStep::new(rule).expect("valid");
            for _ in 0..1000 {
                a.update(1.0);
            }
            assert_eq!(a.step(), max);
            for _ in 0..1000 {
                a.update(0.0);
            }
            assert_eq!(a.step(), 1e-4);
        }
        assert_eq!(StepAdaptation::LANGEVIN.initial, 0.02);
    }

    #[test]
    fn bad_rules_are_typed_errors() {
        let cases = [
            (StepAdaptation::with_range(0.01, 0.0, 0.5), "min step", 0.0),
            (
                StepAdaptation::with_range(0.01, 1e-4, 1e-5),
                "max step",
                1e-5,
            ),
            (
                StepAdaptation::with_range(0.6, 1e-4, 0.5),
                "initial step",
                0.6,
            ),
            (
                StepAdaptation {
                    target: 1.5,
                    ..StepAdaptation::HMC
                },
                "target acceptance",
                1.5,
            ),
            (
                StepAdaptation {
                    decrease: -1.0,
                    ..StepAdaptation::HMC
                },
                "step decrease",
                -1.0,
            ),
        ];
        for (rule, name, value) in cases {
            assert!(
                matches!(
                    AdaptiveStep::new(rule),
                    Err(AisError::InvalidSetting { name: n, value: v, .. }) if n == name && v == value
                ),
                "{name}"
            );
        }
    }
}
