"""Greedy NMS with a Numba CUDA suppression-mask kernel. See README.md in this folder.

Write the body of ``nms_mask_kernel``. ``nms`` below is provided: it sorts the boxes by score on
the host, launches your kernel on a grid of (words, words) blocks of 64 threads, copies the mask
back and does the greedy walk on the host.
"""

import inspect
import math

import numpy as np
from numba import cuda


def nms_mask_kernel(boxes, threshold, mask):
    """Block (x, y) of the grid, thread t: row i = 64 * y + t of ``boxes`` (sorted by descending
    score) against the 64 columns j = 64 * x + c. Set bit c of mask[i, x] when j > i and
    IoU(boxes[i], boxes[j]) > threshold. Every mask word starts at 0."""
    raise NotImplementedError("nms_mask_kernel: write your CUDA kernel here")


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
