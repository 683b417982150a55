// Softplus and its slope in one pass, as one autograd node (mvl-manifold, `mlp/fused.rs`).
//
// libtorch evaluates z = softplus(a) = log1p(exp(a)) (identity above a > 20) and the slope
// s = sigmoid(a) in two kernels with three transcendental passes, and autograd's backward
// recomputes exp(a) for softplus and adds the two branches' gradients: on the [128, 256]
// tensors of an MLP energy's hidden layer these elementwise kernels cost about as much as
// the layer's matrix product (docs/results.md, issue 16). Here, with t = exp(-|a|) from
// libtorch's vectorised exp:
//   z = max(a, 0) + log1p(t),  log1p(t) = 2 atanh(w) = 2 (w + w^3/3 + w^5/5 + ...),
//       w = t / (2 + t) in (0, 1/3] (Abramowitz & Stegun 4.1.27 with z = 1 + t; the series
//       converges by a factor 1/9 per term and keeps full relative accuracy for tiny t),
//   s = 1 / (1 + t) for a >= 0 and t / (1 + t) below,
// both quotients from one division r = 1 / ((1 + t)(2 + t)); within 3 units of the last
// place of libtorch's values in f32 and f64 (tested in `fused.rs`),
// with libtorch's threshold: z = a and s = 1 for a > 20 (the derivatives of the function
// libtorch evaluates). The backward is da = dz * s + ds * s (1 - s) in one pass, or, when a
// graph of the backward is being built (create_graph), the same expression in libtorch
// operations on the saved output s, so higher derivatives stay exact.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <cstring>
#include <exception>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr double kThreshold = 20.0;

// 2 atanh(w) for 0 <= w <= 1/3: terms until (1/9)^k / (2k + 1) is below the kind's epsilon.
template <typename T>
inline T log1p_series(T w);

template <>
inline float log1p_series<float>(float w) {
  const float q = w * w;
  float p = 1.0f / 15;
  p = p * q + 1.0f / 13;
  p = p * q + 1.0f / 11;
  p = p * q + 1.0f / 9;
  p = p * q + 1.0f / 7;
  p = p * q + 1.0f / 5;
  p = p * q + 1.0f / 3;
  return 2.0f * w * (p * q + 1.0f);
}

template <>
inline double log1p_series<double>(double w) {
  const double q = w * w;
  double p = 1.0 / 35;
  for (int k = 16; k >= 1; --k) {
    p = p * q + 1.0 / (2 * k + 1);
  }
  return 2.0 * w * (p * q + 1.0);
}

// t = -|a| (the argument of the exp).
template <typename T>
__attribute__((target_clones("avx512f", "avx2", "default"))) void
negative_magnitude(const T* __restrict a, T* __restrict t, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    t[i] = -std::abs(a[i]);
  }
}

// z and s from a and t = exp(-|a|) (held in z on entry).
template <typename T>
__attribute__((target_clones("avx512f", "avx2", "default"))) void
finish_forward(const T* __restrict a, T* __restrict z, T* __restrict s, int64_t begin,
               int64_t end) {
  const T threshold = static_cast<T>(kThreshold);
  for (int64_t i = begin; i < end; ++i) {
    const T x = a[i];
    const T t = z[i];
    // One division for both quotients: r = 1 / ((1 + t)(2 + t)).
    const T one_t = T(1) + t;
    const T two_t = T(2) + t;
    const T r = T(1) / (one_t * two_t);
    const T l = log1p_series<T>(t * one_t * r);
    const bool above = x > threshold;
    const bool positive = x >= T(0);
    const T zz = (positive ? x : T(0)) + l;
    const T ss = (positive ? T(1) : t) * two_t * r;
    z[i] = above ? x : zz;
    s[i] = above ? T(1) : ss;
  }
}

// da = dz s (+ ds s (1 - s)).
template <typename T>
__attribute__((target_clones("avx512f", "avx2", "default"))) void
backward_kernel(const T* __restrict dz, const T* __restrict ds, const T* __restrict s,
                T* __restrict da, int64_t begin, int64_t end) {
  if (ds == nullptr) {
    for (int64_t i = begin; i < end; ++i) {
      da[i] = dz[i] * s[i];
    }
    return;
  }
  for (int64_t i = begin; i < end; ++i) {
    const T v = s[i];
    da[i] = dz[i] * v + ds[i] * (v * (T(1) - v));
  }
}

std::pair<at::Tensor, at::Tensor> forward_values(const at::Tensor& input) {
  const at::Tensor a = input.contiguous();
  at::Tensor z = at::empty_like(a);
  at::Tensor s = at::empty_like(a);
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "mvl_softplus_with_slope", [&] {
    const scalar_t* pa = a.const_data_ptr<scalar_t>();
    scalar_t* pz = z.mutable_data_ptr<scalar_t>();
    scalar_t* ps = s.mutable_data_ptr<scalar_t>();
    // One thread (libtorch's OpenMP runtime is private to it); on an MLP layer of 128 × 256
    // libtorch's elementwise operations run on one thread as well.
    negative_magnitude<scalar_t>(pa, pz, 0, a.numel());
    z.exp_();
    finish_forward<scalar_t>(pa, pz, ps, 0, a.numel());
  });
  return {z, s};
}

struct SoftplusWithSlope : public torch::autograd::Function<SoftplusWithSlope> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& a) {
    auto [z, s] = forward_values(a);
    ctx->save_for_backward({s});
    return {z, s};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor s = ctx->get_saved_variables()[0];
    const at::Tensor& dz = grads[0];
    const at::Tensor& ds = grads[1];
    if (at::GradMode::is_enabled()) {
      // Differentiable: s carries its graph back to a through this node.
      at::Tensor da = dz.defined() ? dz * s : at::zeros_like(s);
      if (ds.defined()) {
        da = da + ds * (s - s * s);
      }
      return {da};
    }
    const at::Tensor gz = dz.defined() ? dz.contiguous() : at::zeros_like(s);
    const at::Tensor gs = ds.defined() ? ds.contiguous() : at::Tensor();
    at::Tensor da = at::empty_like(s);
    AT_DISPATCH_FLOATING_TYPES(s.scalar_type(), "mvl_softplus_with_slope_backward", [&] {
      const scalar_t* pz = gz.const_data_ptr<scalar_t>();
      const scalar_t* pg = gs.defined() ? gs.const_data_ptr<scalar_t>() : nullptr;
      const scalar_t* ps = s.const_data_ptr<scalar_t>();
      scalar_t* pa = da.mutable_data_ptr<scalar_t>();
      backward_kernel<scalar_t>(pz, pg, ps, pa, 0, s.numel());
    });
    return {da};
  }
};

void write_error(const char* what, char* err, size_t err_len) {
  if (err_len > 0) {
    std::strncpy(err, what, err_len - 1);
    err[err_len - 1] = '\0';
  }
}

}  // namespace

// (softplus(a), its slope) for a CPU tensor of f32 or f64, as one autograd node. Returns 0
// and two new tensors (owned by the caller, as tch's C API returns them), or 1 with libtorch's
// message in `err`.
extern "C" int mvl_softplus_with_slope(const at::Tensor* a, at::Tensor** z, at::Tensor** s,
                                       char* err, size_t err_len) {
  try {
    variable_list out = SoftplusWithSlope::apply(*a);
    *z = new at::Tensor(std::move(out[0]));
    *s = new at::Tensor(std::move(out[1]));
    return 0;
  } catch (const std::exception& e) {
    write_error(e.what(), err, err_len);
    return 1;
  }
}
