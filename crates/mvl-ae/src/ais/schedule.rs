//! Annealing schedules: the inverse temperatures 0 = t₀ ≤ t₁ ≤ … ≤ t_{K−1} = 1.

use super::error::{Result, setting};

/// The sigmoid schedule of the authors' AIS code (paper-spec §4.6): with
/// sₖ = σ(−4 + 8k/(K − 1)), σ the logistic function, tₖ = (sₖ − s₀)/(s_{K−1} − s₀), so that
/// t₀ = 0 and t_{K−1} = 1 exactly. It moves slowly near both ends, where the weights are most
/// sensitive. K = 1000 gives 0, 1.4729e-4, 2.9572e-4, … (paper-spec §4.6).
///
/// Errors: [`super::AisError::InvalidSetting`] for K < 2.
///
/// ```
/// let t = mvl_ae::ais::sigmoid_schedule(1000)?;
/// assert_eq!((t[0], t[999]), (0.0, 1.0));
/// assert!((t[1] - 1.4729e-4).abs() < 5e-9);
/// # Ok::<(), mvl_ae::ais::AisError>(())
/// ```
pub fn sigmoid_schedule(temperatures: usize) -> Result<Vec<f64>> {
    setting(
        temperatures >= 2,
        "temperatures",
        temperatures as f64,
        "must be at least 2 (t = 0 and t = 1)",
    )?;
    let last = (temperatures - 1) as f64;
    let sigmoid = |k: usize| 1.0 / (1.0 + (4.0 - 8.0 * k as f64 / last).exp());
    let (lo, hi) = (sigmoid(0), sigmoid(temperatures - 1));
    let mut t: Vec<f64> = (0..temperatures)
        .map(|k| (sigmoid(k) - lo) / (hi - lo))
        .collect();
    // Pin the ends (the formula gives them up to rounding).
    t[0] = 0.0;
    t[temperatures - 1] = 1.0;
    Ok(t)
}

/// Checks a schedule: at least two values, finite, non-decreasing, from exactly 0 to exactly
/// 1.
pub(crate) fn check_schedule(t: &[f64]) -> Result<()> {
    setting(
        t.len() >= 2,
        "temperatures",
        t.len() as f64,
        "must be at least 2 (t = 0 and t = 1)",
    )?;
    setting(t[0] == 0.0, "first temperature", t[0], "must be 0")?;
    let last = t[t.len() - 1];
    setting(last == 1.0, "last temperature", last, "must be 1")?;
    for pair in t.windows(2) {
        setting(
            pair[1].is_finite() && pair[1] >= pair[0],
            "temperature",
            pair[1],
            "must be finite and not below its predecessor",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ais::AisError;

    /// The values paper-spec §4.6 quotes for K = 1000 (to the digits given there), the ends,
    /// and the symmetry tₖ + t_{K−1−k} = 1 of the normalised sigmoid.
    #[test]
    fn sigmoid_schedule_matches_the_paper_values() {
        let t = sigmoid_schedule(1000).expect("valid");
        assert_eq!(t.len(), 1000);
        assert_eq!((t[0], t[999]), (0.0, 1.0));
        assert!((t[1] - 1.4729e-4).abs() < 5e-9, "{}", t[1]);
        assert!((t[2] - 2.9572e-4).abs() < 5e-9, "{}", t[2]);
        assert!((t[499] - 0.49896).abs() < 5e-6 && (t[500] - 0.50104).abs() < 5e-6);
        for k in 0..1000 {
            assert!((t[k] + t[999 - k] - 1.0).abs() < 1e-12, "k = {k}");
        }
        assert!(t.windows(2).all(|p| p[1] > p[0]));
        check_schedule(&t).expect("the sigmoid schedule is valid");
        assert_eq!(sigmoid_schedule(2).expect("valid"), vec![0.0, 1.0]);
    }

    #[test]
    fn bad_schedules_are_typed_errors() {
        for k in [0, 1] {
            assert!(matches!(
                sigmoid_schedule(k),
                Err(AisError::InvalidSetting { name: "temperatures", value, .. }) if value == k as f64
            ));
        }
        let cases: [(&[f64], &str, f64); 4] = [
            (&[0.0, 0.5], "last temperature", 0.5),
            (&[0.1, 1.0], "first temperature", 0.1),
            (&[0.0, 0.6, 0.4, 1.0], "temperature", 0.4),
            (&[0.0, f64::INFINITY, 1.0], "temperature", f64::INFINITY),
        ];
        for (t, name, value) in cases {
            assert!(
                matches!(
                    check_schedule(t),
                    Err(AisError::InvalidSetting { name: n, value: v, .. }) if n == name && v == value
                ),
                "{t:?}"
            );
        }
    }
}
