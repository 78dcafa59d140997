// box_iou as a C++ kernel. See README.md in this folder for the full statement.
// Write the body of box_iou_kernel; the grader allocates the output (adapter.py) and calls this
// through harness.cpp for float and for double.
#include "cvg_kernel.h"

template <typename T>
void box_iou_kernel(const T* boxes1, int64_t n, const T* boxes2, int64_t m, T* out) {
  // boxes1: n rows of x1, y1, x2, y2 (row-major, contiguous); boxes2: m rows; out: n x m, row-major.
  throw cvg::not_implemented("box_iou_kernel");
}
