// Returns early for out-of-range threads only after the shared loads, then writes without the n, m guard.
//
// Breaks: matches_reference
#include "cvg_kernel.h"

template <typename T>
__global__ void box_iou_kernel(const T* boxes1, int64_t n, const T* boxes2, int64_t m, T* out) {
  __shared__ T rows[16][4];
  __shared__ T cols[16][4];
  const int64_t i = (int64_t)blockIdx.y * blockDim.y + threadIdx.y;
  const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (threadIdx.x < 4 && i < n) rows[threadIdx.y][threadIdx.x] = boxes1[i * 4 + threadIdx.x];
  if (threadIdx.y < 4 && j < m) cols[threadIdx.x][threadIdx.y] = boxes2[j * 4 + threadIdx.y];
  __syncthreads();
  const T* a = rows[threadIdx.y];
  const T* b = cols[threadIdx.x];
  const T zero = T(0);
  const T w = max(min(a[2], b[2]) - max(a[0], b[0]), zero);
  const T h = max(min(a[3], b[3]) - max(a[1], b[1]), zero);
  const T inter = w * h;
  const T area_a = max(a[2] - a[0], zero) * max(a[3] - a[1], zero);
  const T area_b = max(b[2] - b[0], zero) * max(b[3] - b[1], zero);
  const T uni = area_a + area_b - inter;
  out[i * m + j] = uni > zero ? inter / uni : zero;
}
