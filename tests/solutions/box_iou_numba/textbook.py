"""A textbook box_iou_numba solution: the double loop, single-threaded, areas computed inline."""

import numpy as np
from numba import njit


@njit(cache=False)
def box_iou(boxes1, boxes2):
    n, m = boxes1.shape[0], boxes2.shape[0]
    out = np.zeros((n, m), dtype=boxes1.dtype)
    for i in range(n):
        for j in range(m):
            a, b = boxes1[i], boxes2[j]
            w = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
            h = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
            inter = w * h
            union = (max(a[2] - a[0], 0.0) * max(a[3] - a[1], 0.0)
                     + max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0) - inter)
            if union > 0:
                out[i, j] = inter / union
    return out
