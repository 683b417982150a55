//! One factory for the score-matching estimators the binaries, benchmarks and tests compare.

use mvl_objectives::{
    DenoisingScoreMatching, MinimumVelocity, Objective, ObjectiveError, Projection, ScoreMatching,
    SlicedScoreMatching,
};
use serde::{Deserialize, Serialize};

/// An estimator of the score-matching objective J_SM (paper eq. 7), by its result name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize, Deserialize)]
pub enum Estimator {
    /// MVL (Langevin towards q^{1/2}) with the control variate (paper eq. 11).
    #[value(name = "MVL-CV", alias = "mvl_cv")]
    #[serde(rename = "MVL-CV")]
    MvlCv,
    /// MVL without the control variate (paper eq. 10).
    #[value(name = "MVL", alias = "mvl")]
    #[serde(rename = "MVL")]
    Mvl,
    /// Denoising score matching with its control variate, σ² = ε.
    #[value(name = "DSM-CV", alias = "dsm_cv")]
    #[serde(rename = "DSM-CV")]
    DsmCv,
    /// Denoising score matching, σ² = ε.
    #[value(name = "DSM", alias = "dsm")]
    #[serde(rename = "DSM")]
    Dsm,
    /// Sliced score matching, one Gaussian projection.
    #[value(name = "SSM", alias = "ssm")]
    #[serde(rename = "SSM")]
    Ssm,
    /// Sliced score matching, variance-reduced (the unbiased reference of Figure 1).
    #[value(name = "SSM-VR", alias = "ssm_vr")]
    #[serde(rename = "SSM-VR")]
    SsmVr,
    /// Exact score matching (d backward passes).
    #[value(name = "exact-SM", alias = "exact_sm")]
    #[serde(rename = "exact SM")]
    ExactSm,
}

impl Estimator {
    /// The estimators of Figure 1 whose bias and variance depend on ε, in plotting order.
    pub const FIGURE1: [Estimator; 4] = [Self::MvlCv, Self::Mvl, Self::DsmCv, Self::Dsm];

    /// The name in results and plots.
    pub fn name(self) -> &'static str {
        match self {
            Self::MvlCv => "MVL-CV",
            Self::Mvl => "MVL",
            Self::DsmCv => "DSM-CV",
            Self::Dsm => "DSM",
            Self::Ssm => "SSM",
            Self::SsmVr => "SSM-VR",
            Self::ExactSm => "exact SM",
        }
    }

    /// The objective with step size `eps` (σ = √ε for DSM; ignored by SSM and exact SM) on
    /// R^`dim`.
    pub fn build(self, eps: f64, dim: i64) -> Result<Box<dyn Objective>, ObjectiveError> {
        Ok(match self {
            Self::MvlCv => Box::new(MinimumVelocity::langevin(eps)?),
            Self::Mvl => Box::new(MinimumVelocity::langevin(eps)?.control_variate(false)),
            Self::DsmCv => Box::new(DenoisingScoreMatching::new(eps.sqrt())?.control_variate(true)),
            Self::Dsm => Box::new(DenoisingScoreMatching::new(eps.sqrt())?),
            Self::Ssm => Box::new(SlicedScoreMatching::new(1, Projection::Gaussian)?),
            Self::SsmVr => {
                Box::new(SlicedScoreMatching::new(1, Projection::Gaussian)?.variance_reduced(true))
            }
            Self::ExactSm => Box::new(ScoreMatching::euclidean(dim)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_valid_ones() {
        for e in Estimator::value_variants() {
            assert_eq!(
                Estimator::from_str(e.name().replace(' ', "-").as_str(), false),
                Ok(*e)
            );
            assert_eq!(e.build(1e-3, 2).map(|o| o.name().is_empty()), Ok(false));
        }
        assert_eq!(Estimator::from_str("mvl_cv", false), Ok(Estimator::MvlCv));
        #[derive(clap::Parser, Debug)]
        struct Cli {
            #[arg(long, value_delimiter = ',')]
            estimators: Vec<Estimator>,
        }
        let err = <Cli as clap::Parser>::try_parse_from(["x", "--estimators", "MVL,XX"])
            .expect_err("XX is unknown")
            .to_string();
        assert!(
            err.contains("XX") && err.contains("MVL-CV") && err.contains("exact-SM"),
            "{err}"
        );
    }
}
