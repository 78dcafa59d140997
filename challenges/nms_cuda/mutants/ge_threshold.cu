// Marks boxes whose IoU equals the threshold: uses >= instead of >.
//
// Breaks: iou_equal_to_threshold_is_kept
#include "cvg_kernel.h"

template <typename T>
__global__ void nms_mask_kernel(const T* boxes, int64_t n, T threshold, int64_t words, unsigned long long* mask) {
  const int64_t row_block = blockIdx.y, col_block = blockIdx.x;
  if (col_block < row_block) return;  // uniform for the whole block: no thread reaches the barrier
  const int64_t row_start = row_block * 64, col_start = col_block * 64;
  const int cols = (int)min(n - col_start, (int64_t)64);
  const T zero = T(0);
  __shared__ T col[64][5];
  if ((int)threadIdx.x < cols) {
    const T* b = boxes + 4 * (col_start + threadIdx.x);
    col[threadIdx.x][0] = b[0];
    col[threadIdx.x][1] = b[1];
    col[threadIdx.x][2] = b[2];
    col[threadIdx.x][3] = b[3];
    col[threadIdx.x][4] = max(b[2] - b[0], zero) * max(b[3] - b[1], zero);
  }
  __syncthreads();
  const int64_t i = row_start + threadIdx.x;
  if (i >= n) return;
  const T x1 = boxes[4 * i], y1 = boxes[4 * i + 1], x2 = boxes[4 * i + 2], y2 = boxes[4 * i + 3];
  const T area = max(x2 - x1, zero) * max(y2 - y1, zero);
  unsigned long long bits = 0;
  const int start = row_block == col_block ? (int)threadIdx.x + 1 : 0;  // only later boxes
  for (int c = start; c < cols; ++c) {
    const T w = max(min(x2, col[c][2]) - max(x1, col[c][0]), zero);
    const T h = max(min(y2, col[c][3]) - max(y1, col[c][1]), zero);
    const T inter = w * h;
    const T uni = area + col[c][4] - inter;
    if (uni > zero && inter / uni >= threshold) bits |= 1ULL << c;
  }
  mask[i * words + col_block] = bits;
}
