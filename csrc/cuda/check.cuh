// CUDA error checking shared by the .cu files: every failure becomes a std::runtime_error,
// which pybind11 turns into a Python RuntimeError.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#define CVG_CUDA_CHECK(expr)                                                                \
  do {                                                                                      \
    const cudaError_t cvg_err_ = (expr);                                                    \
    if (cvg_err_ != cudaSuccess) {                                                          \
      throw std::runtime_error(std::string("CUDA error in ") + #expr + ": " +               \
                               cudaGetErrorName(cvg_err_) + ": " +                          \
                               cudaGetErrorString(cvg_err_));                               \
    }                                                                                       \
  } while (0)

namespace cvg {
namespace cuda {

// Same operation order as reference/ops/box_iou.py; compiled with --fmad=false so no step fuses.
template <typename T>
__device__ __forceinline__ T area(T x1, T y1, T x2, T y2) {
  const T w = x2 - x1;
  const T h = y2 - y1;
  return (w > T(0) ? w : T(0)) * (h > T(0) ? h : T(0));
}

template <typename T>
__device__ __forceinline__ T iou(T ax1, T ay1, T ax2, T ay2, T area_a, T bx1, T by1, T bx2, T by2,
                                 T area_b) {
  T w = (ax2 < bx2 ? ax2 : bx2) - (ax1 > bx1 ? ax1 : bx1);
  T h = (ay2 < by2 ? ay2 : by2) - (ay1 > by1 ? ay1 : by1);
  w = w > T(0) ? w : T(0);
  h = h > T(0) ? h : T(0);
  const T inter = w * h;
  const T uni = (area_a + area_b) - inter;
  return uni > T(0) ? inter / uni : T(0);
}

inline void check_dtype(int dtype) {
  if (dtype != 0 && dtype != 1) {
    throw std::invalid_argument("dtype code must be 0 (float32) or 1 (float64), got " +
                                std::to_string(dtype));
  }
}

}  // namespace cuda
}  // namespace cvg
