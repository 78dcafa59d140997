// box_iou as a CUDA kernel. See README.md in this folder for the full statement.
// Write the body of box_iou_kernel; harness.cu launches it with a 2D grid of 16x16 blocks,
// thread (x, y) of the grid owning output element (row i = y, column j = x).
#include "cvg_kernel.h"

template <typename T>
__global__ void box_iou_kernel(const T* boxes1, int64_t n, const T* boxes2, int64_t m, T* out) {
  // boxes1: n rows of x1, y1, x2, y2; boxes2: m rows; out: n x m row-major, all in device memory.
  // Not started: the harness refuses to launch while this marker is defined. Delete it when you start.
}
#define CVG_NOT_STARTED 1
