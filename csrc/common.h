// Shared helpers for the CPU kernels: input checks that refuse (never convert) and the IoU formula.
#pragma once

#include <cstdint>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace cvg {

namespace py = pybind11;

// Runtime dispatch to AVX-512 / AVX2 / baseline clones on Linux x86-64 (GCC/Clang ifunc), for the
// vectorised inner loops. Elsewhere a single baseline version is compiled.
#if defined(__linux__) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CVG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CVG_CLONES
#endif

enum class DType : int { Float32 = 0, Float64 = 1 };

// Checks that `a` is a C-contiguous, aligned, native float32/float64 array of shape (N, 4) and
// returns its dtype. Raises TypeError/ValueError naming `name` instead of silently copying.
DType check_boxes(const py::array& a, const char* name);

// Checks that `a` is a C-contiguous, aligned 1-D array of dtype `dtype` with `n` elements.
void check_scores(const py::array& a, const char* name, DType dtype, int64_t n);

// IoU of two boxes exactly as reference/ops/box_iou.py computes it, operation by operation, in T:
// clamped sides, inter = w * h, union = (area_a + area_b) - inter, 0 where union <= 0.
template <typename T>
inline T box_area(T x1, T y1, T x2, T y2) {
  const T w = x2 - x1;
  const T h = y2 - y1;
  return (w > T(0) ? w : T(0)) * (h > T(0) ? h : T(0));
}

template <typename T>
inline T box_iou_one(T ax1, T ay1, T ax2, T ay2, T area_a, T bx1, T by1, T bx2, T by2, T area_b) {
  T w = (ax2 < bx2 ? ax2 : bx2) - (ax1 > bx1 ? ax1 : bx1);
  T h = (ay2 < by2 ? ay2 : by2) - (ay1 > by1 ? ay1 : by1);
  w = w > T(0) ? w : T(0);
  h = h > T(0) ? h : T(0);
  const T inter = w * h;
  const T uni = (area_a + area_b) - inter;
  const T q = inter / uni;  // computed unconditionally so the loop stays branch-free
  return uni > T(0) ? q : T(0);
}

py::array box_iou_cpu(const py::array& boxes1, const py::array& boxes2);
py::array nms_cpu(const py::array& boxes, const py::array& scores, double iou_threshold);
int openmp_max_threads();

}  // namespace cvg
