//! Riemannian metrics in chart coordinates.

use tch::{Kind, Tensor};

/// A Riemannian metric G(x) evaluated at a batch of chart points.
///
/// Conformal metrics (the sphere's stereographic chart, the Poincaré ball, Euclidean space)
/// are stored as one factor per row, which keeps every operation O(d); general metrics are
/// stored as full matrices.
///
/// # Shapes
/// `b` rows, chart dimension `d`: `Conformal` factor `[b]`, `Diagonal` `[b, d]`, `Full`
/// `[b, d, d]`; vectors `[b, d]`; per-row scalars `[b]`.
#[derive(Debug)]
pub enum Metric {
    /// G = λ(x) I_d.
    Conformal {
        /// λ(x) per row, `[b]`.
        factor: Tensor,
        /// The chart dimension d.
        dim: i64,
    },
    /// G = diag(g(x)), `[b, d]`.
    Diagonal(Tensor),
    /// G(x) as a symmetric positive-definite matrix per row, `[b, d, d]`.
    Full(Tensor),
}

impl Metric {
    /// The chart dimension d.
    pub fn dim(&self) -> i64 {
        match self {
            Metric::Conformal { dim, .. } => *dim,
            Metric::Diagonal(g) => g.size()[1],
            Metric::Full(g) => g.size()[1],
        }
    }

    /// G as a `[b, d, d]` matrix.
    pub fn matrix(&self) -> Tensor {
        match self {
            Metric::Conformal { factor, dim } => {
                let eye = Tensor::eye(*dim, (factor.kind(), factor.device()));
                factor.view([-1, 1, 1]) * eye
            }
            Metric::Diagonal(g) => g.diag_embed(0, -2, -1),
            Metric::Full(g) => g.shallow_clone(),
        }
    }

    /// G⁻¹v per row.
    pub fn inverse_apply(&self, v: &Tensor) -> Tensor {
        match self {
            Metric::Conformal { factor, .. } => v / factor.unsqueeze(-1),
            Metric::Diagonal(g) => v / g,
            Metric::Full(g) => Tensor::linalg_solve(g, &v.unsqueeze(-1), true).squeeze_dim(-1),
        }
    }

    /// A matrix square root of G⁻¹ applied to `z`: for z ~ N(0, I) the result is N(0, G⁻¹).
    /// For `Full`, with G = LLᵀ (Cholesky) this is L⁻ᵀz.
    pub fn inverse_sqrt_apply(&self, z: &Tensor) -> Tensor {
        match self {
            Metric::Conformal { factor, .. } => z / factor.sqrt().unsqueeze(-1),
            Metric::Diagonal(g) => z / g.sqrt(),
            Metric::Full(g) => {
                let l = g.linalg_cholesky(false);
                l.transpose(-2, -1)
                    .linalg_solve_triangular(&z.unsqueeze(-1), true, true, false)
                    .squeeze_dim(-1)
            }
        }
    }

    /// uᵀGv per row.
    pub fn inner(&self, u: &Tensor, v: &Tensor) -> Tensor {
        match self {
            Metric::Conformal { factor, .. } => factor * row_dot(u, v),
            Metric::Diagonal(g) => row_dot(&(u * g), v),
            Metric::Full(g) => row_dot(u, &g.matmul(&v.unsqueeze(-1)).squeeze_dim(-1)),
        }
    }

    /// ½ log det G per row.
    pub fn half_log_det(&self) -> Tensor {
        match self {
            Metric::Conformal { factor, dim } => factor.log() * (*dim as f64 / 2.0),
            Metric::Diagonal(g) => g.log().sum_dim_intlist(-1, false, g.kind()) / 2.0,
            Metric::Full(g) => Tensor::linalg_slogdet(g).1 / 2.0,
        }
    }
}

/// ⟨u, v⟩ per row, `[b]`.
pub fn row_dot(u: &Tensor, v: &Tensor) -> Tensor {
    (u * v).sum_dim_intlist(-1, false, u.kind())
}

/// |v|² per row, `[b]`.
pub fn row_norm_sq(v: &Tensor) -> Tensor {
    v.square().sum_dim_intlist(-1, false, v.kind())
}

/// The largest absolute entry of a tensor, as f64 (0 for an empty tensor).
pub fn max_abs(t: &Tensor) -> f64 {
    if t.numel() == 0 {
        return 0.0;
    }
    t.abs().max().to_kind(Kind::Double).double_value(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spd(b: i64, d: i64) -> Tensor {
        let a = Tensor::randn([b, d, d], (Kind::Double, tch::Device::Cpu));
        a.matmul(&a.transpose(-2, -1)) + Tensor::eye(d, (Kind::Double, tch::Device::Cpu))
    }

    #[test]
    fn representations_agree() {
        let _seed = crate::testing::seeded(1);
        let opts = (Kind::Double, tch::Device::Cpu);
        let lam = Tensor::rand([4], opts) + 0.5;
        let conformal = Metric::Conformal {
            factor: lam.shallow_clone(),
            dim: 3,
        };
        let full = Metric::Full(conformal.matrix());
        let diag = Metric::Diagonal(lam.unsqueeze(-1).expand([4, 3], false).contiguous());
        let v = Tensor::randn([4, 3], opts);
        for m in [&full, &diag] {
            assert!(max_abs(&(m.inverse_apply(&v) - conformal.inverse_apply(&v))) < 1e-12);
            assert!(max_abs(&(m.half_log_det() - conformal.half_log_det())) < 1e-12);
            assert!(max_abs(&(m.inner(&v, &v) - conformal.inner(&v, &v))) < 1e-12);
            let a = m.inverse_sqrt_apply(&v);
            let b = conformal.inverse_sqrt_apply(&v);
            assert!(max_abs(&(a - b)) < 1e-12);
        }
    }

    #[test]
    fn full_inverse_sqrt_has_inverse_covariance() {
        let _seed = crate::testing::seeded(2);
        let g = spd(2, 3);
        let m = Metric::Full(g.shallow_clone());
        // Columns of L⁻ᵀ: apply to the identity; then S Sᵀ must equal G⁻¹.
        let eye = Tensor::eye(3, (Kind::Double, tch::Device::Cpu));
        let cols: Vec<Tensor> = (0..3)
            .map(|j| m.inverse_sqrt_apply(&eye.get(j).expand([2, 3], false)))
            .collect();
        let s = Tensor::stack(&cols, -1);
        let cov = s.matmul(&s.transpose(-2, -1));
        assert!(max_abs(&(cov - g.inverse())) < 1e-10);
    }
}
