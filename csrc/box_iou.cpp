// CPU pairwise IoU: one fused pass over the (N, M) output, rows split across OpenMP threads.
#include <cstring>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "common.h"

namespace cvg {

namespace {

template <typename T>
inline bool has_dtype(const py::array& a) {
  return a.dtype().equal(py::dtype::of<T>());
}

std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// Structure-of-arrays copy of the second box set, so the inner loop reads five unit-stride streams.
template <typename T>
struct BoxesSoA {
  std::vector<T> x1, y1, x2, y2, area;
  BoxesSoA(const T* b, int64_t m) : x1(m), y1(m), x2(m), y2(m), area(m) {
    for (int64_t j = 0; j < m; ++j) {
      x1[j] = b[4 * j + 0];
      y1[j] = b[4 * j + 1];
      x2[j] = b[4 * j + 2];
      y2[j] = b[4 * j + 3];
      area[j] = box_area(x1[j], y1[j], x2[j], y2[j]);
    }
  }
};

// One output row. Inlined into the per-ISA clones below, so each clone vectorises it for its ISA.
template <typename T>
__attribute__((always_inline)) inline void iou_row(const T* a, const T* __restrict bx1,
                                                   const T* __restrict by1, const T* __restrict bx2,
                                                   const T* __restrict by2,
                                                   const T* __restrict barea, int64_t m,
                                                   T* __restrict out) {
  const T ax1 = a[0], ay1 = a[1], ax2 = a[2], ay2 = a[3];
  const T aarea = box_area(ax1, ay1, ax2, ay2);
#pragma omp simd
  for (int64_t j = 0; j < m; ++j) {
    out[j] = box_iou_one(ax1, ay1, ax2, ay2, aarea, bx1[j], by1[j], bx2[j], by2[j], barea[j]);
  }
}

CVG_CLONES void iou_row_f32(const float* a, const float* bx1, const float* by1, const float* bx2,
                            const float* by2, const float* barea, int64_t m, float* out) {
  iou_row<float>(a, bx1, by1, bx2, by2, barea, m, out);
}

CVG_CLONES void iou_row_f64(const double* a, const double* bx1, const double* by1,
                            const double* bx2, const double* by2, const double* barea, int64_t m,
                            double* out) {
  iou_row<double>(a, bx1, by1, bx2, by2, barea, m, out);
}

inline void iou_row_any(const float* a, const BoxesSoA<float>& b, int64_t m, float* out) {
  iou_row_f32(a, b.x1.data(), b.y1.data(), b.x2.data(), b.y2.data(), b.area.data(), m, out);
}
inline void iou_row_any(const double* a, const BoxesSoA<double>& b, int64_t m, double* out) {
  iou_row_f64(a, b.x1.data(), b.y1.data(), b.x2.data(), b.y2.data(), b.area.data(), m, out);
}

template <typename T>
py::array box_iou_impl(const py::array& boxes1, const py::array& boxes2) {
  const int64_t n = boxes1.shape(0);
  const int64_t m = boxes2.shape(0);
  const T* a = static_cast<const T*>(boxes1.data());
  const T* b = static_cast<const T*>(boxes2.data());
  // Unwritten output: its pages are first touched inside the parallel loop, by the thread that
  // fills them, so page faults are spread across threads too.
  py::array_t<T> result({n, m});
  T* out = result.mutable_data();
  {
    py::gil_scoped_release release;
    if (n > 0 && m > 0) {
      const BoxesSoA<T> soa(b, m);
#pragma omp parallel for schedule(static) if (n * m > 32768)
      for (int64_t i = 0; i < n; ++i) {
        iou_row_any(a + 4 * i, soa, m, out + i * m);
      }
    }
  }
  return std::move(result);
}

}  // namespace

DType check_boxes(const py::array& a, const char* name) {
  DType dtype;
  if (has_dtype<float>(a)) {
    dtype = DType::Float32;
  } else if (has_dtype<double>(a)) {
    dtype = DType::Float64;
  } else {
    throw py::type_error(std::string(name) + ": expected a float32 or float64 array, got dtype " +
                         dtype_str(a));
  }
  if (a.ndim() != 2 || a.shape(1) != 4) {
    std::string shape = "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) {
      shape += (d ? ", " : "") + std::to_string(a.shape(d));
    }
    shape += a.ndim() == 1 ? ",)" : ")";
    throw py::value_error(std::string(name) + ": expected shape (N, 4) of x1, y1, x2, y2, got " +
                          shape);
  }
  if (!(a.flags() & py::array::c_style)) {
    throw py::value_error(std::string(name) +
                          ": expected a C-contiguous array (refusing to copy it silently); "
                          "pass np.ascontiguousarray(...) or tensor.contiguous()");
  }
  const std::size_t align = dtype == DType::Float32 ? alignof(float) : alignof(double);
  if (reinterpret_cast<std::uintptr_t>(a.data()) % align != 0) {
    throw py::value_error(std::string(name) + ": array data is not aligned for its dtype");
  }
  return dtype;
}

void check_scores(const py::array& a, const char* name, DType dtype, int64_t n) {
  const bool ok = dtype == DType::Float32 ? has_dtype<float>(a) : has_dtype<double>(a);
  if (!ok) {
    throw py::type_error(std::string(name) + ": expected dtype " +
                         (dtype == DType::Float32 ? "float32" : "float64") +
                         " (the boxes' dtype), got " + dtype_str(a));
  }
  if (a.ndim() != 1 || a.shape(0) != n) {
    throw py::value_error(std::string(name) + ": expected shape (" + std::to_string(n) +
                          ",), one score per box, got an array with " + std::to_string(a.ndim()) +
                          " dimension(s) and " + std::to_string(a.size()) + " element(s)");
  }
  if (!(a.flags() & py::array::c_style)) {
    throw py::value_error(std::string(name) + ": expected a C-contiguous array");
  }
  const std::size_t align = dtype == DType::Float32 ? alignof(float) : alignof(double);
  if (reinterpret_cast<std::uintptr_t>(a.data()) % align != 0) {
    throw py::value_error(std::string(name) + ": array data is not aligned for its dtype");
  }
}

py::array box_iou_cpu(const py::array& boxes1, const py::array& boxes2) {
  const DType d1 = check_boxes(boxes1, "boxes1");
  const DType d2 = check_boxes(boxes2, "boxes2");
  if (d1 != d2) {
    throw py::type_error(std::string("boxes2: expected the same dtype as boxes1 (") +
                         dtype_str(boxes1) + "), got " + dtype_str(boxes2));
  }
  return d1 == DType::Float32 ? box_iou_impl<float>(boxes1, boxes2)
                              : box_iou_impl<double>(boxes1, boxes2);
}

int openmp_max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace cvg
