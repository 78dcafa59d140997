"""Allocates the output as float64 whatever the input dtype.

Breaks: output_contract
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=False)
def box_iou(boxes1, boxes2):
    n, m = boxes1.shape[0], boxes2.shape[0]
    out = np.empty((n, m), dtype=np.float64)
    zero = boxes1.dtype.type(0) if n else np.float32(0)
    area2 = np.empty(m, dtype=boxes1.dtype)
    for j in range(m):
        area2[j] = max(boxes2[j, 2] - boxes2[j, 0], 0) * max(boxes2[j, 3] - boxes2[j, 1], 0)
    for i in prange(n):
        ax1, ay1, ax2, ay2 = boxes1[i, 0], boxes1[i, 1], boxes1[i, 2], boxes1[i, 3]
        area1 = max(ax2 - ax1, 0) * max(ay2 - ay1, 0)
        for j in range(m):
            w = min(ax2, boxes2[j, 2]) - max(ax1, boxes2[j, 0])
            h = min(ay2, boxes2[j, 3]) - max(ay1, boxes2[j, 1])
            inter = max(w, 0) * max(h, 0)
            union = area1 + area2[j] - inter
            out[i, j] = inter / union if union > 0 else zero
    return out
