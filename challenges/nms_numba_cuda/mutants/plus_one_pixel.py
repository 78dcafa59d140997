"""Uses the +1 pixel convention for widths and heights (x2 - x1 + 1).

Breaks: matches_reference
"""

import inspect
import math

import numpy as np
from numba import cuda


def nms_mask_kernel(boxes, threshold, mask):
    """Block (x, y), thread t: bit c of mask[64 * y + t, x] is set when box j = 64 * x + c comes
    after box i = 64 * y + t and IoU(boxes[i], boxes[j]) > threshold."""
    col_block = cuda.blockIdx.x
    row_block = cuda.blockIdx.y
    i = row_block * 64 + cuda.threadIdx.x
    n = boxes.shape[0]
    if col_block < row_block or i >= n:
        return
    zero = threshold - threshold  # 0 in the boxes' dtype, so the IoU is computed in that dtype
    x1, y1, x2, y2 = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
    area_i = max(x2 - x1, zero) * max(y2 - y1, zero)
    bits = np.uint64(0)
    start = col_block * 64
    for c in range(64):
        j = start + c
        if j <= i or j >= n:
            continue
        w = max(min(x2, boxes[j, 2]) - max(x1, boxes[j, 0]) + 1, zero)
        h = max(min(y2, boxes[j, 3]) - max(y1, boxes[j, 1]) + 1, zero)
        inter = w * h
        union = area_i + max(boxes[j, 2] - boxes[j, 0], zero) * max(boxes[j, 3] - boxes[j, 1], zero) - inter
        if union > zero and inter / union > threshold:
            bits |= np.uint64(1) << np.uint64(c)
    mask[i, col_block] = bits


def nms(boxes, scores, iou_threshold):
    """Provided launcher: sorts on the host, launches your kernel, reduces the mask on the host."""
    n = boxes.shape[0]
    # Visiting order: descending score, lower index first among equal scores (a stable sort).
    order = np.argsort(-scores, kind="mergesort")
    sorted_boxes = np.ascontiguousarray(boxes[order])
    words = max(1, math.ceil(n / 64))
    mask = np.zeros((n, words), dtype=np.uint64)
    threshold = boxes.dtype.type(iou_threshold)  # compared in the boxes' dtype, like the reference
    if "NotImplementedError" in inspect.getsource(nms_mask_kernel):
        # A real GPU drops exceptions raised in kernels: say "not started" before launching.
        raise NotImplementedError("nms_mask_kernel is not written yet")
    kernel = cuda.jit(nms_mask_kernel)
    device_mask = cuda.to_device(mask)
    # One block even when empty, so that an unwritten kernel is always called.
    kernel[(words, words), 64](cuda.to_device(sorted_boxes), threshold, device_mask)
    mask = device_mask.copy_to_host()
    # Greedy reduction: walk the sorted boxes, keep one unless a kept box removed it, and remove
    # everything the kept box's mask row marks.
    removed = np.zeros(words, dtype=np.uint64)
    keep = []
    for i in range(n):
        if (int(removed[i // 64]) >> (i % 64)) & 1:
            continue
        keep.append(order[i])
        removed |= mask[i]
    return np.array(keep, dtype=np.int64)
