// The block merge drops the partner thread sum: only thread 0 columns count.
// Breaks: matches_reference
// Reference solution of clip_loss_cuda: the log-sum-exps of CLIP's logits and their gradient,
// without ever storing the N x N logits. Written for correctness and clarity, not peak speed.
// NOTE: compiled in CI without a GPU; it has not been run there (the grader skips CUDA runs).
#include <cuda_runtime.h>
#include <math.h>

#include "cvg_kernel.h"

namespace {

constexpr int kThreads = 256;

// Row i of out = logsumexp_j scale * <a_i, b_j>, for n rows of a against n rows of b (d floats each,
// L2-normalized, row-major). One block per row; each thread keeps an online (max, sum) over the
// columns it visits, then the block merges the pairs.
__global__ void row_logsumexp(const float* a, const float* b, int64_t n, int64_t d, float scale, float* out) {
  const int64_t i = blockIdx.x;
  float m = -INFINITY, s = 0.f;
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    float dot = 0.f;
    for (int64_t k = 0; k < d; ++k) dot += a[i * d + k] * b[j * d + k];
    const float logit = scale * dot;
    if (logit > m) {
      s = s * expf(m - logit) + 1.f;
      m = logit;
    } else {
      s += expf(logit - m);
    }
  }
  __shared__ float ms[kThreads], ss[kThreads];
  ms[threadIdx.x] = m;
  ss[threadIdx.x] = s;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) {
      const float m1 = ms[threadIdx.x], m2 = ms[threadIdx.x + stride];
      const float mx = fmaxf(m1, m2);
      float sum = 0.f;
      if (m1 != -INFINITY) sum += ss[threadIdx.x] * expf(m1 - mx);
      (void)m2;
      ms[threadIdx.x] = mx;
      ss[threadIdx.x] = sum;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[i] = ms[0] + logf(ss[0]);
}

// grad_a[i] = coef * sum_j (exp(l_ij - lse_a[i]) + exp(l_ij - lse_b[j])) * b_j, l_ij = scale * <a_i, b_j>.
// One block per row i: threads compute kThreads logits at a time into shared memory, then sweep
// over the d features accumulating the weighted rows of b.
__global__ void row_gradient(const float* a, const float* b, int64_t n, int64_t d, float scale, const float* lse_a,
                             const float* lse_b, float coef, float* grad_a) {
  const int64_t i = blockIdx.x;
  __shared__ float weight[kThreads];
  for (int64_t j0 = 0; j0 < n; j0 += kThreads) {
    const int64_t j = j0 + threadIdx.x;
    float w = 0.f;
    if (j < n) {
      float dot = 0.f;
      for (int64_t k = 0; k < d; ++k) dot += a[i * d + k] * b[j * d + k];
      const float logit = scale * dot;
      w = expf(logit - lse_a[i]) + expf(logit - lse_b[j]);
    }
    weight[threadIdx.x] = w;
    __syncthreads();
    const int64_t count = n - j0 < kThreads ? n - j0 : kThreads;
    for (int64_t k = threadIdx.x; k < d; k += blockDim.x) {
      float acc = 0.f;
      for (int64_t t = 0; t < count; ++t) acc += weight[t] * b[(j0 + t) * d + k];
      grad_a[i * d + k] += coef * acc;
    }
    __syncthreads();
  }
}

}  // namespace

// Forward: row_lse[i] = logsumexp_j logits[i, j], col_lse[j] = logsumexp_i logits[i, j], where
// logits = scale * image @ text.T of L2-normalized float32 rows (n x d, row-major, on the device).
void clip_lse_forward(const float* image, const float* text, int64_t n, int64_t d, float scale, float* row_lse,
                      float* col_lse, cudaStream_t stream) {
  if (n == 0) return;
  row_logsumexp<<<n, kThreads, 0, stream>>>(image, text, n, d, scale, row_lse);
  row_logsumexp<<<n, kThreads, 0, stream>>>(text, image, n, d, scale, col_lse);  // columns: swap the roles
}

// Backward of (sum(row_lse) + sum(col_lse)) / (2n) times grad: fills grad_image and grad_text
// (n x d, zeroed by the caller) with its gradient w.r.t. the normalized rows.
void clip_lse_backward(const float* image, const float* text, int64_t n, int64_t d, float scale,
                       const float* row_lse, const float* col_lse, float grad, float* grad_image, float* grad_text,
                       cudaStream_t stream) {
  if (n == 0) return;
  const float coef = grad * scale / (2.f * n);
  row_gradient<<<n, kThreads, 0, stream>>>(image, text, n, d, scale, row_lse, col_lse, coef, grad_image);
  row_gradient<<<n, kThreads, 0, stream>>>(text, image, n, d, scale, col_lse, row_lse, coef, grad_text);
}
