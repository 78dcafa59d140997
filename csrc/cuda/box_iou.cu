// CUDA pairwise IoU: one thread per output element, grid-stride over the flattened (n, m) output.
#include <algorithm>

#include "check.cuh"
#include "launchers.h"

namespace cvg {
namespace cuda {

namespace {

template <typename T>
__global__ void box_iou_kernel(const T* __restrict__ a, int64_t n, const T* __restrict__ b,
                               int64_t m, T* __restrict__ out) {
  const int64_t total = n * m;
  for (int64_t k = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; k < total;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = k / m;
    const int64_t j = k - i * m;
    const T ax1 = a[4 * i], ay1 = a[4 * i + 1], ax2 = a[4 * i + 2], ay2 = a[4 * i + 3];
    const T bx1 = b[4 * j], by1 = b[4 * j + 1], bx2 = b[4 * j + 2], by2 = b[4 * j + 3];
    out[k] = iou(ax1, ay1, ax2, ay2, area(ax1, ay1, ax2, ay2), bx1, by1, bx2, by2,
                 area(bx1, by1, bx2, by2));
  }
}

template <typename T>
void launch(std::uintptr_t a, int64_t n, std::uintptr_t b, int64_t m, std::uintptr_t out,
            cudaStream_t stream) {
  constexpr int kThreads = 256;
  const int64_t blocks = std::min<int64_t>((n * m + kThreads - 1) / kThreads, int64_t{1} << 20);
  box_iou_kernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      reinterpret_cast<const T*>(a), n, reinterpret_cast<const T*>(b), m,
      reinterpret_cast<T*>(out));
  CVG_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void box_iou(int device, std::uintptr_t a, int64_t n, std::uintptr_t b, int64_t m,
             std::uintptr_t out, int dtype, std::uintptr_t stream) {
  check_dtype(dtype);
  if (n < 0 || m < 0) throw std::invalid_argument("box_iou: negative size");
  CVG_CUDA_CHECK(cudaSetDevice(device));
  if (n == 0 || m == 0) return;
  const auto s = reinterpret_cast<cudaStream_t>(stream);
  if (dtype == kFloat32) {
    launch<float>(a, n, b, m, out, s);
  } else {
    launch<double>(a, n, b, m, out, s);
  }
}

}  // namespace cuda
}  // namespace cvg
