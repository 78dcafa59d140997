// Reference solution for nms_cpp: a stable descending sort, the boxes gathered into visiting order
// as a structure of arrays, then the greedy walk. Each kept box tests every later box that is not
// yet suppressed in a branch-free loop the compiler vectorizes.
#include <algorithm>
#include <numeric>
#include <vector>

#include "cvg_kernel.h"

template <typename T>
int64_t nms_kernel(const T* boxes, const T* scores, int64_t n, double iou_threshold, int64_t* keep) {
  // The reference compares a tensor of dtype T with the threshold, which rounds it to T.
  const T thr = static_cast<T>(iou_threshold);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [scores](int64_t i, int64_t j) { return scores[i] > scores[j]; });

  std::vector<T> x1(n), y1(n), x2(n), y2(n), area(n);
  for (int64_t r = 0; r < n; ++r) {
    const T* b = boxes + 4 * order[r];
    x1[r] = b[0];
    y1[r] = b[1];
    x2[r] = b[2];
    y2[r] = b[3];
    area[r] = std::max(b[2] - b[0], T(0)) * std::max(b[3] - b[1], T(0));
  }
  std::vector<unsigned char> suppressed(n, 0);
  int64_t kept = 0;
  for (int64_t r = 0; r < n; ++r) {
    if (suppressed[r]) continue;
    keep[kept++] = order[r];
    const T ax1 = x1[r], ay1 = y1[r], ax2 = x2[r], ay2 = y2[r], a_area = area[r];
    if (!(a_area > T(0))) continue;  // IoU 0 with everything: suppresses nothing
    unsigned char* __restrict s = suppressed.data();
#pragma omp simd
    for (int64_t c = r + 1; c < n; ++c) {
      const T w = std::max(std::min(ax2, x2[c]) - std::max(ax1, x1[c]), T(0));
      const T h = std::max(std::min(ay2, y2[c]) - std::max(ay1, y1[c]), T(0));
      const T inter = w * h;
      const T uni = a_area + area[c] - inter;
      const T iou = uni > T(0) ? inter / (uni > T(0) ? uni : T(1)) : T(0);
      s[c] |= static_cast<unsigned char>(iou > thr);
    }
  }
  return kept;
}
