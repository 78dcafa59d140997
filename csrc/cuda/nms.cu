// CUDA greedy NMS over score-sorted boxes, entirely on the device:
//  1. nms_mask_kernel: the classic 64-bit suppression bitmask. Block (col, row) compares 64 "row"
//     boxes with 64 "column" boxes; bit c of mask[i][col] is set when box col*64+c comes after box
//     i and IoU(i, col*64+c) > threshold. Only blocks on or above the diagonal are computed.
//  2. nms_reduce_kernel: one block walks the boxes in order, keeping a box unless a kept box's mask
//     row has removed it, and ORs each kept box's row into the running `removed` bit set.
#include <algorithm>
#include <string>

#include "check.cuh"
#include "launchers.h"

namespace cvg {
namespace cuda {

namespace {

constexpr int kBits = 64;
constexpr int kReduceThreads = 256;
constexpr int64_t kMaxSharedRemoved = 48 * 1024 / 8;  // words of `removed` that fit in shared

template <typename T>
__global__ void nms_mask_kernel(const T* __restrict__ boxes, int64_t n, T threshold, int64_t words,
                                unsigned long long* __restrict__ mask) {
  const int64_t row_block = blockIdx.y;
  const int64_t col_block = blockIdx.x;
  if (col_block < row_block) return;
  const int64_t row_start = row_block * kBits;
  const int64_t col_start = col_block * kBits;
  const int rows = static_cast<int>(min(n - row_start, static_cast<int64_t>(kBits)));
  const int cols = static_cast<int>(min(n - col_start, static_cast<int64_t>(kBits)));

  __shared__ T col_boxes[kBits][5];
  if (threadIdx.x < cols) {
    const T* b = boxes + 4 * (col_start + threadIdx.x);
    col_boxes[threadIdx.x][0] = b[0];
    col_boxes[threadIdx.x][1] = b[1];
    col_boxes[threadIdx.x][2] = b[2];
    col_boxes[threadIdx.x][3] = b[3];
    col_boxes[threadIdx.x][4] = area(b[0], b[1], b[2], b[3]);
  }
  __syncthreads();
  if (threadIdx.x >= rows) return;

  const int64_t i = row_start + threadIdx.x;
  const T* r = boxes + 4 * i;
  const T x1 = r[0], y1 = r[1], x2 = r[2], y2 = r[3];
  const T a = area(x1, y1, x2, y2);
  unsigned long long bits = 0;
  const int start = row_block == col_block ? static_cast<int>(threadIdx.x) + 1 : 0;
  for (int c = start; c < cols; ++c) {
    const T v = iou(x1, y1, x2, y2, a, col_boxes[c][0], col_boxes[c][1], col_boxes[c][2],
                    col_boxes[c][3], col_boxes[c][4]);
    if (v > threshold) bits |= 1ULL << c;
  }
  mask[i * words + col_block] = bits;
}

__global__ void nms_reduce_kernel(const unsigned long long* __restrict__ mask, int64_t n,
                                  int64_t words, unsigned long long* removed_global,
                                  bool use_shared, int64_t* __restrict__ keep,
                                  int64_t* __restrict__ count) {
  extern __shared__ unsigned long long removed_shared[];
  unsigned long long* removed = use_shared ? removed_shared : removed_global;
  for (int64_t j = threadIdx.x; j < words; j += blockDim.x) removed[j] = 0;
  __syncthreads();

  int64_t kept = 0;
  for (int64_t blk = 0; blk < words; ++blk) {
    // Every thread holds the same copy of this word, so the branch below is uniform.
    unsigned long long word = removed[blk];
    const int bits = static_cast<int>(min(n - blk * kBits, static_cast<int64_t>(kBits)));
    for (int bit = 0; bit < bits; ++bit) {
      if ((word >> bit) & 1ULL) continue;
      const int64_t i = blk * kBits + bit;
      if (threadIdx.x == 0) keep[kept] = i;
      ++kept;
      const unsigned long long* row = mask + i * words;
      word |= row[blk];
      // A given word j is always ORed by the same thread within this block of 64, so no race.
      for (int64_t j = blk + 1 + threadIdx.x; j < words; j += blockDim.x) removed[j] |= row[j];
    }
    __syncthreads();  // the next word is read only after every OR into it has landed
  }
  if (threadIdx.x == 0) *count = kept;
}

template <typename T>
void launch(std::uintptr_t boxes, int64_t n, double iou_threshold, std::uintptr_t mask,
            std::uintptr_t removed, std::uintptr_t keep, std::uintptr_t count,
            cudaStream_t stream) {
  const int64_t words = nms_mask_words(n);
  // Compared in T, like the reference's `iou > iou_threshold` on a tensor of dtype T.
  const T threshold = static_cast<T>(iou_threshold);
  const dim3 grid(static_cast<unsigned>(words), static_cast<unsigned>(words));
  nms_mask_kernel<T><<<grid, kBits, 0, stream>>>(reinterpret_cast<const T*>(boxes), n, threshold,
                                                 words,
                                                 reinterpret_cast<unsigned long long*>(mask));
  CVG_CUDA_CHECK(cudaGetLastError());
  const bool use_shared = words <= kMaxSharedRemoved;
  const size_t shared_bytes = use_shared ? static_cast<size_t>(words) * 8 : 0;
  nms_reduce_kernel<<<1, kReduceThreads, shared_bytes, stream>>>(
      reinterpret_cast<const unsigned long long*>(mask), n, words,
      reinterpret_cast<unsigned long long*>(removed), use_shared,
      reinterpret_cast<int64_t*>(keep), reinterpret_cast<int64_t*>(count));
  CVG_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

int64_t nms_mask_words(int64_t n) { return (n + kBits - 1) / kBits; }

void nms(int device, std::uintptr_t sorted_boxes, int64_t n, double iou_threshold, int dtype,
         std::uintptr_t mask, std::uintptr_t removed, std::uintptr_t keep, std::uintptr_t count,
         std::uintptr_t stream) {
  check_dtype(dtype);
  if (n < 0) throw std::invalid_argument("nms: negative number of boxes");
  if (nms_mask_words(n) > 65535) {
    throw std::invalid_argument("nms: at most 65535 * 64 boxes are supported on CUDA, got " +
                                std::to_string(n));
  }
  CVG_CUDA_CHECK(cudaSetDevice(device));
  const auto s = reinterpret_cast<cudaStream_t>(stream);
  if (n == 0) {
    CVG_CUDA_CHECK(cudaMemsetAsync(reinterpret_cast<void*>(count), 0, sizeof(int64_t), s));
    return;
  }
  if (dtype == kFloat32) {
    launch<float>(sorted_boxes, n, iou_threshold, mask, removed, keep, count, s);
  } else {
    launch<double>(sorted_boxes, n, iou_threshold, mask, removed, keep, count, s);
  }
}

}  // namespace cuda
}  // namespace cvg
