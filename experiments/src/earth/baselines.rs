//! The closed-form baselines: a von Mises-Fisher kernel density estimate with its
//! concentration chosen on validation, and a vMF mixture fitted by EM with the number of
//! components and a concentration cap chosen on validation. Both have exact normalisers.

use anyhow::Result;
use mvl_manifold::{TensorDistribution, VmfMixture};
use serde::Serialize;
use tch::{Kind, Tensor};

/// One candidate of a validation search and its validation NLL.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The hyperparameters, e.g. `{"kappa": 100}`.
    pub params: serde_json::Value,
    /// Validation NLL (nats).
    pub val_nll: f64,
}

/// The vMF kernel density estimate p(y) = (1/N) Σⱼ C(κ) exp(κ yᵀxⱼ)
/// ([`mvl_objectives::VmfKde`], which the birth-death rates use too), evaluated in chunks.
#[derive(Debug)]
pub struct VmfKde(mvl_objectives::VmfKde);

impl VmfKde {
    /// The KDE of `points` (`[N, 3]` unit vectors, kept in f64) with concentration κ ≥ 0.
    pub fn new(points: &Tensor, kappa: f64) -> Result<Self> {
        Ok(Self(mvl_objectives::VmfKde::new(
            &points.to_kind(Kind::Double),
            kappa,
        )?))
    }

    /// The concentration κ.
    pub fn kappa(&self) -> f64 {
        self.0.kappa()
    }

    /// ln p(y) for `[M, 3]` points, `[M]` f64.
    pub fn log_prob(&self, y: &Tensor) -> Tensor {
        let parts: Vec<Tensor> = y
            .to_kind(Kind::Double)
            .split(256, 0)
            .iter()
            .map(|c| self.0.log_prob(c))
            .collect();
        Tensor::cat(&parts, 0)
    }

    /// The KDE of `train` whose κ has the smallest validation NLL: log₁₀ κ on the grid
    /// 0, 0.25, ..., 6, then on steps of 0.025 within ±0.25 of the best; with every candidate.
    pub fn select(train: &Tensor, val: &Tensor) -> Result<(VmfKde, Vec<Candidate>)> {
        let score = |log10_kappa: f64| -> Result<(f64, Candidate)> {
            let kappa = 10f64.powf(log10_kappa);
            let val_nll = mean_nll(&VmfKde::new(train, kappa)?.log_prob(val));
            let params = serde_json::json!({ "kappa": kappa });
            Ok((kappa, Candidate { params, val_nll }))
        };
        let mut scored = (0..=24)
            .map(|i| score(i as f64 * 0.25))
            .collect::<Result<Vec<_>>>()?;
        let coarse = best_kappa(&scored).log10();
        for i in (-10..=10).filter(|&i| i != 0) {
            scored.push(score(coarse + i as f64 * 0.025)?);
        }
        let kappa = best_kappa(&scored);
        let candidates = scored.into_iter().map(|(_, c)| c).collect();
        Ok((VmfKde::new(train, kappa)?, candidates))
    }
}

/// The κ of the candidate with the smallest validation NLL (first on ties; 1 for none).
fn best_kappa(scored: &[(f64, Candidate)]) -> f64 {
    scored
        .iter()
        .min_by(|a, b| a.1.val_nll.total_cmp(&b.1.val_nll))
        .map_or(1.0, |(kappa, _)| *kappa)
}

/// −mean of log-likelihoods (f64), +∞ when some are not finite.
pub fn mean_nll(log_prob: &Tensor) -> f64 {
    let v = -log_prob
        .to_kind(Kind::Double)
        .mean(Kind::Double)
        .double_value(&[]);
    if v.is_nan() { f64::INFINITY } else { v }
}

/// Settings of the mixture search.
#[derive(Debug, Clone, Serialize)]
pub struct MixtureSearch {
    /// Candidate numbers of components (those above the number of training points are
    /// skipped).
    pub components: Vec<i64>,
    /// Candidate concentration caps, applied to the EM fit's κₖ before evaluation.
    pub kappa_caps: Vec<f64>,
    /// EM iterations.
    pub iters: i64,
}

impl Default for MixtureSearch {
    fn default() -> Self {
        Self {
            components: vec![1, 2, 5, 10, 20, 50, 100, 200, 400, 800],
            kappa_caps: vec![1e2, 1e3, 1e4, 1e5, 1e6],
            iters: 200,
        }
    }
}

/// The mixture with capped concentrations.
fn capped(mix: &VmfMixture, cap: f64) -> Result<VmfMixture> {
    let c = mix.components();
    Ok(VmfMixture::new(
        c.loc(),
        &c.concentration().clamp_max(cap),
        &mix.weights(),
    )?)
}

/// Fits a vMF mixture by EM (seeded with `seed`) for every (K, cap) of `search` and returns
/// the one with the smallest validation NLL, with every candidate.
pub fn select_mixture(
    train: &Tensor,
    val: &Tensor,
    search: &MixtureSearch,
    seed: u64,
) -> Result<(VmfMixture, Vec<Candidate>)> {
    let n = train.size()[0];
    let mut best_fit: Option<(f64, VmfMixture)> = None;
    let mut candidates = Vec::new();
    for &k in search.components.iter().filter(|&&k| k <= n) {
        let fit = VmfMixture::fit_em(train, k, search.iters, seed)?;
        for &cap in &search.kappa_caps {
            let mix = capped(&fit, cap)?;
            let val_nll = mean_nll(&mix.log_prob(val));
            candidates.push(Candidate {
                params: serde_json::json!({ "components": k, "kappa_cap": cap }),
                val_nll,
            });
            if best_fit.as_ref().is_none_or(|(b, _)| val_nll < *b) {
                best_fit = Some((val_nll, mix));
            }
        }
    }
    let (_, mix) =
        best_fit.ok_or_else(|| anyhow::anyhow!("no mixture candidate fits {n} training points"))?;
    Ok((mix, candidates))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mvl_manifold::integration::Grid;

    /// Both baselines integrate to one (quadrature on 240 × 480 nodes, exact to ~1e-9 for
    /// κ ≤ 5000 by the 3√κ rule).
    #[test]
    fn baselines_are_normalised() {
        let _seed = mvl_manifold::testing::seeded(2);
        let pts = Tensor::randn([30, 3], (Kind::Double, tch::Device::Cpu));
        let pts = &pts / pts.norm_scalaropt_dim(2, [1], true);
        let grid = Grid::sphere2(240, 480).expect("valid");
        for kappa in [0.0, 2.0, 300.0, 5000.0] {
            let kde = VmfKde::new(&pts, kappa).expect("valid");
            let z = grid.log_integral(&kde.log_prob(&grid.points)).expect("[N]");
            assert!(z.abs() < 1e-8, "KDE κ = {kappa}: log ∫ p = {z}");
        }
        let search = MixtureSearch {
            components: vec![3],
            kappa_caps: vec![50.0],
            iters: 20,
        };
        let (mix, cands) = select_mixture(&pts, &pts, &search, 1).expect("fit");
        assert_eq!(cands.len(), 1);
        assert!(mix.components().concentration().max().double_value(&[]) <= 50.0);
        let z = grid.log_integral(&mix.log_prob(&grid.points)).expect("[N]");
        assert!(z.abs() < 1e-8, "mixture: log ∫ p = {z}");
    }
}
