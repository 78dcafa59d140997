// Greedy NMS as a C++ kernel. See README.md in this folder for the full statement.
// Write the body of nms_kernel; the harness (harness.cpp) allocates `keep`, binds the kernel to
// Python and calls it for float and for double.
#include "cvg_kernel.h"

template <typename T>
int64_t nms_kernel(const T* boxes, const T* scores, int64_t n, double iou_threshold, int64_t* keep) {
  // boxes: n rows of x1, y1, x2, y2 (row-major, contiguous); scores: n values.
  // Write the kept indices, in the order kept, to keep[0], keep[1], ... (room for n) and return
  // how many you kept.
  throw cvg::not_implemented("nms_kernel");
}
