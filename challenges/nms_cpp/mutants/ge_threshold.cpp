// Suppresses boxes whose IoU equals the threshold: uses >= instead of >.
//
// Breaks: iou_equal_to_threshold_is_kept
#include <algorithm>
#include <numeric>
#include <vector>

#include "cvg_kernel.h"

template <typename T>
T iou(const T* a, const T* b) {
  const T w = std::max(std::min(a[2], b[2]) - std::max(a[0], b[0]), T(0));
  const T h = std::max(std::min(a[3], b[3]) - std::max(a[1], b[1]), T(0));
  const T inter = w * h;
  const T area_a = std::max(a[2] - a[0], T(0)) * std::max(a[3] - a[1], T(0));
  const T area_b = std::max(b[2] - b[0], T(0)) * std::max(b[3] - b[1], T(0));
  const T uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : T(0);
}

template <typename T>
int64_t nms_kernel(const T* boxes, const T* scores, int64_t n, double iou_threshold, int64_t* keep) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return scores[i] > scores[j]; });
  std::vector<bool> suppressed(n, false);
  int64_t kept = 0;
  for (int64_t r = 0; r < n; ++r) {
    const int64_t i = order[r];
    if (suppressed[i]) continue;
    keep[kept++] = i;
    for (int64_t c = r + 1; c < n; ++c) {
      const int64_t j = order[c];
      if (!suppressed[j] && iou(boxes + 4 * i, boxes + 4 * j) >= iou_threshold) suppressed[j] = true;
    }
  }
  return kept;
}
