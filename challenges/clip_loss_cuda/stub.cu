// clip_loss as fused CUDA kernels. See README.md in this folder for the full statement.
// Write the kernels and the two launchers below; the harness (harness.cu) binds them to Python and
// the adapter (adapter.py) normalizes the rows and adds the diagonal term with torch.
#include <cuda_runtime.h>

#include "cvg_kernel.h"

// Forward: row_lse[i] = logsumexp_j logits[i, j] and col_lse[j] = logsumexp_i logits[i, j], where
// logits = scale * image @ text.T; image and text are n x d float32, row-major, L2-normalized, on
// the device. Never store the n x n logits. Launch on `stream`.
void clip_lse_forward(const float* image, const float* text, int64_t n, int64_t d, float scale, float* row_lse,
                      float* col_lse, cudaStream_t stream) {
  throw cvg::not_implemented("clip_lse_forward");
}

// Backward of (sum(row_lse) + sum(col_lse)) / (2n), times grad: add its gradient w.r.t. image and
// text into grad_image and grad_text (n x d, zero on entry). Launch on `stream`.
void clip_lse_backward(const float* image, const float* text, int64_t n, int64_t d, float scale,
                       const float* row_lse, const float* col_lse, float grad, float* grad_image, float* grad_text,
                       cudaStream_t stream) {
  throw cvg::not_implemented("clip_lse_backward");
}
