// A textbook box_iou_cpp solution: the double loop, single-threaded, no hoisting.
#include <algorithm>

#include "cvg_kernel.h"

template <typename T>
void box_iou_kernel(const T* boxes1, int64_t n, const T* boxes2, int64_t m, T* out) {
  for (int64_t i = 0; i < n; ++i) {
    const T* a = boxes1 + 4 * i;
    for (int64_t j = 0; j < m; ++j) {
      const T* b = boxes2 + 4 * j;
      const T w = std::max(std::min(a[2], b[2]) - std::max(a[0], b[0]), T(0));
      const T h = std::max(std::min(a[3], b[3]) - std::max(a[1], b[1]), T(0));
      const T inter = w * h;
      const T uni = std::max(a[2] - a[0], T(0)) * std::max(a[3] - a[1], T(0)) +
                    std::max(b[2] - b[0], T(0)) * std::max(b[3] - b[1], T(0)) - inter;
      out[i * m + j] = uni > 0 ? inter / uni : T(0);
    }
  }
}
