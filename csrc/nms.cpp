// CPU greedy NMS, exact: the same visiting order, IoU arithmetic and strict comparison as
// reference/ops/nms.py, but each candidate is only tested against kept boxes it can overlap.
//
// Why pruning is exact: for a threshold t >= 0 a box is suppressed only when IoU > t >= 0, hence
// IoU > 0, hence inter > 0, hence both clamped sides of the intersection are positive. Two boxes
// whose x (or y) intervals do not overlap strictly have a zero side, inter == 0 (or NaN when the
// other side overflows to inf, which makes the union NaN and the IoU 0), so IoU == 0 <= t. Boxes
// with a non-positive side (x2 <= x1 or y2 <= y1) therefore never suppress nor get suppressed.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common.h"

namespace cvg {

namespace {

template <typename T>
struct Kept {
  T x1, y1, x2, y2, area;
};

// Kept boxes as a structure of arrays, so a whole list is tested in one vectorised, branch-free
// loop (a kept box stored in several cells may be tested twice; the answer is the same).
template <typename T>
struct KeptList {
  std::vector<T> x1, y1, x2, y2, area;
  void push_back(const Kept<T>& k) {
    x1.push_back(k.x1);
    y1.push_back(k.y1);
    x2.push_back(k.x2);
    y2.push_back(k.y2);
    area.push_back(k.area);
  }
};

template <typename T>
__attribute__((always_inline)) inline int64_t count_above(
    const T* __restrict x1, const T* __restrict y1, const T* __restrict x2,
    const T* __restrict y2, const T* __restrict area, int64_t n, T cx1, T cy1, T cx2, T cy2,
    T carea, T thr) {
  int64_t hits = 0;
#pragma omp simd reduction(+ : hits)
  for (int64_t j = 0; j < n; ++j) {
    hits += box_iou_one(x1[j], y1[j], x2[j], y2[j], area[j], cx1, cy1, cx2, cy2, carea) > thr;
  }
  return hits;
}

CVG_CLONES int64_t count_above_f32(const float* x1, const float* y1, const float* x2,
                                   const float* y2, const float* area, int64_t n, float cx1,
                                   float cy1, float cx2, float cy2, float carea, float thr) {
  return count_above(x1, y1, x2, y2, area, n, cx1, cy1, cx2, cy2, carea, thr);
}

CVG_CLONES int64_t count_above_f64(const double* x1, const double* y1, const double* x2,
                                   const double* y2, const double* area, int64_t n, double cx1,
                                   double cy1, double cx2, double cy2, double carea, double thr) {
  return count_above(x1, y1, x2, y2, area, n, cx1, cy1, cx2, cy2, carea, thr);
}

inline bool any_above(const KeptList<float>& l, const Kept<float>& c, float thr) {
  return count_above_f32(l.x1.data(), l.y1.data(), l.x2.data(), l.y2.data(), l.area.data(),
                         static_cast<int64_t>(l.x1.size()), c.x1, c.y1, c.x2, c.y2, c.area,
                         thr) > 0;
}

inline bool any_above(const KeptList<double>& l, const Kept<double>& c, double thr) {
  return count_above_f64(l.x1.data(), l.y1.data(), l.x2.data(), l.y2.data(), l.area.data(),
                         static_cast<int64_t>(l.x1.size()), c.x1, c.y1, c.x2, c.y2, c.area,
                         thr) > 0;
}

// Uniform grid over the extent of the positive-area boxes. A kept box is stored in every cell its
// closed cell range covers; cell indices are monotone in the coordinate, so two boxes whose
// intervals overlap share at least one cell. Boxes covering many cells go to a `large` list that
// every candidate scans; candidates covering many cells scan the list of all kept boxes instead.
template <typename T>
class KeptGrid {
 public:
  KeptGrid(double minx, double maxx, double miny, double maxy, double mean_w, double mean_h,
           int64_t count)
      : minx_(minx), miny_(miny) {
    nx_ = cells_along(maxx - minx, mean_w);
    ny_ = cells_along(maxy - miny, mean_h);
    // Not many more cells than boxes.
    const int64_t cap = std::max<int64_t>(16, 2 * count);
    while (static_cast<int64_t>(nx_) * ny_ > cap) {
      nx_ = std::max(1, nx_ / 2);
      ny_ = std::max(1, ny_ / 2);
    }
    inv_x_ = nx_ > 1 ? nx_ / (maxx - minx) : 0.0;
    inv_y_ = ny_ > 1 ? ny_ / (maxy - miny) : 0.0;
    cells_.resize(static_cast<std::size_t>(nx_) * ny_);
  }

  // True when a kept box has IoU > thr with the candidate.
  bool suppressed(const Kept<T>& c, T thr) const {
    int cx1, cx2, cy1, cy2;
    range(c, cx1, cx2, cy1, cy2);
    if (is_large(cx1, cx2, cy1, cy2)) {
      return any_above(all_, c, thr);
    }
    if (any_above(large_, c, thr)) return true;
    for (int cy = cy1; cy <= cy2; ++cy) {
      for (int cx = cx1; cx <= cx2; ++cx) {
        if (any_above(cells_[static_cast<std::size_t>(cy) * nx_ + cx], c, thr)) return true;
      }
    }
    return false;
  }

  void insert(const Kept<T>& k) {
    all_.push_back(k);
    int cx1, cx2, cy1, cy2;
    range(k, cx1, cx2, cy1, cy2);
    if (is_large(cx1, cx2, cy1, cy2)) {
      large_.push_back(k);
      return;
    }
    for (int cy = cy1; cy <= cy2; ++cy) {
      for (int cx = cx1; cx <= cx2; ++cx) {
        cells_[static_cast<std::size_t>(cy) * nx_ + cx].push_back(k);
      }
    }
  }

 private:
  static constexpr int kMaxCellsPerBox = 16;

  static int cells_along(double extent, double mean_side) {
    if (!(extent > 0) || !std::isfinite(extent) || !(mean_side > 0) || !std::isfinite(mean_side)) {
      return 1;
    }
    return static_cast<int>(std::clamp(extent / mean_side, 1.0, 1024.0));
  }

  static int cell(double v, double origin, double inv, int n) {
    const double f = (v - origin) * inv;
    if (!(f > 0)) return 0;
    if (f >= n) return n - 1;
    return static_cast<int>(f);
  }

  void range(const Kept<T>& b, int& cx1, int& cx2, int& cy1, int& cy2) const {
    cx1 = cell(b.x1, minx_, inv_x_, nx_);
    cx2 = cell(b.x2, minx_, inv_x_, nx_);
    cy1 = cell(b.y1, miny_, inv_y_, ny_);
    cy2 = cell(b.y2, miny_, inv_y_, ny_);
  }

  static bool is_large(int cx1, int cx2, int cy1, int cy2) {
    return static_cast<int64_t>(cx2 - cx1 + 1) * (cy2 - cy1 + 1) > kMaxCellsPerBox;
  }

  double minx_, miny_, inv_x_ = 0.0, inv_y_ = 0.0;
  int nx_ = 1, ny_ = 1;
  std::vector<KeptList<T>> cells_;
  KeptList<T> large_, all_;
};

template <typename T>
std::vector<int64_t> nms_impl(const T* boxes, const T* scores, int64_t n, double iou_threshold) {
  // The reference compares a tensor of dtype T with a Python float, which torch does in T.
  const T thr = static_cast<T>(iou_threshold);

  // Descending score, lower index first among equal scores (= torch.sort(stable=True)).
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [scores](int64_t i, int64_t j) { return scores[i] > scores[j]; });

  double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
  double sum_w = 0, sum_h = 0;
  int64_t positive = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T* b = boxes + 4 * i;
    if (b[0] < b[2] && b[1] < b[3]) {
      minx = std::min<double>(minx, b[0]);
      maxx = std::max<double>(maxx, b[2]);
      miny = std::min<double>(miny, b[1]);
      maxy = std::max<double>(maxy, b[3]);
      sum_w += static_cast<double>(b[2]) - b[0];
      sum_h += static_cast<double>(b[3]) - b[1];
      ++positive;
    }
  }

  std::vector<int64_t> keep;
  if (positive == 0) {
    return order;  // nothing can overlap anything: every box is kept, in score order
  }
  KeptGrid<T> grid(minx, maxx, miny, maxy, sum_w / positive, sum_h / positive, positive);
  for (int64_t idx : order) {
    const T* b = boxes + 4 * idx;
    if (!(b[0] < b[2] && b[1] < b[3])) {
      keep.push_back(idx);  // a box without positive width and height overlaps nothing
      continue;
    }
    const Kept<T> c{b[0], b[1], b[2], b[3], box_area(b[0], b[1], b[2], b[3])};
    if (!grid.suppressed(c, thr)) {
      keep.push_back(idx);
      grid.insert(c);
    }
  }
  return keep;
}

}  // namespace

py::array nms_cpu(const py::array& boxes, const py::array& scores, double iou_threshold) {
  const DType dtype = check_boxes(boxes, "boxes");
  const int64_t n = boxes.shape(0);
  check_scores(scores, "scores", dtype, n);
  if (!(iou_threshold >= 0.0 && iou_threshold <= 1.0)) {
    throw py::value_error("iou_threshold: expected a number in [0, 1], got " +
                          std::to_string(iou_threshold));
  }
  std::vector<int64_t> keep;
  {
    py::gil_scoped_release release;
    if (dtype == DType::Float32) {
      keep = nms_impl(static_cast<const float*>(boxes.data()),
                      static_cast<const float*>(scores.data()), n, iou_threshold);
    } else {
      keep = nms_impl(static_cast<const double*>(boxes.data()),
                      static_cast<const double*>(scores.data()), n, iou_threshold);
    }
  }
  py::array_t<int64_t> result(static_cast<py::ssize_t>(keep.size()));
  if (!keep.empty()) {
    std::copy(keep.begin(), keep.end(), result.mutable_data());
  }
  return std::move(result);
}

}  // namespace cvg
