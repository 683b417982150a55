// One Adam step of one parameter in one pass (mvl-train, `fused.rs`).
//
// `Adam::step` with libtorch's operations makes eight passes over each parameter's memory
// (two lerps, a square, a square root, two scalings, addcdiv, zeroing the gradient); here the
// same update, element by element:
//   m <- m + w1 (g - m),  v <- v + w2 (g^2 - v)      (libtorch's lerp for weights below 1/2),
//   theta <- theta + m / ((sqrt(v) + eps_c2) * scale),  g <- 0,
// with w1 = 1 - beta1, w2 = 1 - beta2, eps_c2 = eps c2 and scale = -c1 / (lr c2) (Kingma &
// Ba 2015, Algorithm 1, with the bias corrections c1 = 1 - beta1^t, c2 = sqrt(1 - beta2^t)
// folded in as in `Adam::step`).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/variable.h>

#include <cmath>
#include <cstring>
#include <exception>

namespace {

// libtorch runs an elementwise operation on one thread up to this many elements (its grain
// size) and on all threads above. Below, one fused pass replaces eight single-threaded ones;
// above, libtorch's eight multi-threaded passes were faster than one pass on one thread
// (docs/results.md), so the caller keeps them. (The loop is not parallelised itself:
// libtorch's OpenMP runtime is private to it.)
constexpr int64_t kSerialMax = 32768;

template <typename T>
__attribute__((target_clones("avx512f", "avx2", "default"))) void
adam_kernel(T* __restrict theta, T* __restrict g, T* __restrict m, T* __restrict v, T w1, T w2,
            T eps_c2, T scale, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    const T gi = g[i];
    const T mi = m[i] + w1 * (gi - m[i]);
    const T vi = v[i] + w2 * (gi * gi - v[i]);
    m[i] = mi;
    v[i] = vi;
    theta[i] = theta[i] + mi / ((std::sqrt(vi) + eps_c2) * scale);
    g[i] = T(0);
  }
}

bool fits(const at::Tensor& t, const at::Tensor& like) {
  return t.device().is_cpu() && t.scalar_type() == like.scalar_type() && t.is_contiguous() &&
         t.numel() == like.numel();
}

}  // namespace

// Returns 0 after the update, 2 (and changes nothing) when the tensors are not all contiguous
// CPU tensors of one floating kind and size, or have more than kSerialMax elements, 1 with libtorch's message in `err` on an error.
extern "C" int mvl_adam_step(at::Tensor* theta, at::Tensor* grad, at::Tensor* m, at::Tensor* v,
                             double w1, double w2, double eps_c2, double scale, char* err,
                             size_t err_len) {
  try {
    const at::ScalarType kind = theta->scalar_type();
    if ((kind != at::kFloat && kind != at::kDouble) || theta->numel() > kSerialMax ||
        !fits(*theta, *theta) || !fits(*grad, *theta) || !fits(*m, *theta) ||
        !fits(*v, *theta)) {
      return 2;
    }
    AT_DISPATCH_FLOATING_TYPES(kind, "mvl_adam_step", [&] {
      scalar_t* pt = theta->mutable_data_ptr<scalar_t>();
      scalar_t* pg = grad->mutable_data_ptr<scalar_t>();
      scalar_t* pm = m->mutable_data_ptr<scalar_t>();
      scalar_t* pv = v->mutable_data_ptr<scalar_t>();
      adam_kernel<scalar_t>(pt, pg, pm, pv, static_cast<scalar_t>(w1), static_cast<scalar_t>(w2),
                            static_cast<scalar_t>(eps_c2), static_cast<scalar_t>(scale), 0,
                            theta->numel());
    });
    // As libtorch's in-place operations do: a graph that saved these tensors then refuses to
    // use the changed values.
    for (at::Tensor* t : {theta, grad, m, v}) {
      torch::autograd::impl::bump_version(*t);
    }
    return 0;
  } catch (const std::exception& e) {
    if (err_len > 0) {
      std::strncpy(err, e.what(), err_len - 1);
      err[err_len - 1] = '\0';
    }
    return 1;
  }
}
