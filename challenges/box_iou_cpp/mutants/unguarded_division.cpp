// Divides by the union without checking it: zero-area pairs give NaN.
//
// Breaks: degenerate_boxes_give_zero
#include <algorithm>
#include <vector>

#include "cvg_kernel.h"

template <typename T>
void box_iou_kernel(const T* boxes1, int64_t n, const T* boxes2, int64_t m, T* out) {
  std::vector<T> x1(m), y1(m), x2(m), y2(m), area(m);
  for (int64_t j = 0; j < m; ++j) {
    x1[j] = boxes2[4 * j];
    y1[j] = boxes2[4 * j + 1];
    x2[j] = boxes2[4 * j + 2];
    y2[j] = boxes2[4 * j + 3];
    area[j] = std::max(x2[j] - x1[j], T(0)) * std::max(y2[j] - y1[j], T(0));
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const T ax1 = boxes1[4 * i], ay1 = boxes1[4 * i + 1], ax2 = boxes1[4 * i + 2], ay2 = boxes1[4 * i + 3];
    const T a_area = std::max(ax2 - ax1, T(0)) * std::max(ay2 - ay1, T(0));
    T* row = out + i * m;
#pragma omp simd
    for (int64_t j = 0; j < m; ++j) {
      const T w = std::max(std::min(ax2, x2[j]) - std::max(ax1, x1[j]), T(0));
      const T h = std::max(std::min(ay2, y2[j]) - std::max(ay1, y1[j]), T(0));
      const T inter = w * h;
      const T uni = a_area + area[j] - inter;
      row[j] = inter / uni;
    }
  }
}
