"""Uses the +1 pixel convention for widths and heights (x2 - x1 + 1).

Breaks: no_plus_one_pixel
"""

import numpy as np
from numba import njit


@njit(cache=False)
def iou(a, b):
    w = max(min(a[2], b[2]) - max(a[0], b[0]) + 1, 0.0)
    h = max(min(a[3], b[3]) - max(a[1], b[1]) + 1, 0.0)
    inter = w * h
    union = (max(a[2] - a[0] + 1, 0.0) * max(a[3] - a[1] + 1, 0.0)
             + max(b[2] - b[0] + 1, 0.0) * max(b[3] - b[1] + 1, 0.0) - inter)
    return inter / union if union > 0 else 0.0


@njit(cache=False)
def nms(boxes, scores, iou_threshold):
    order = np.argsort(-scores, kind="mergesort")  # stable: equal scores keep index order
    n = len(order)
    suppressed = np.zeros(n, dtype=np.bool_)
    keep = []
    for r in range(n):
        i = order[r]
        if suppressed[i]:
            continue
        keep.append(i)
        for c in range(r + 1, n):
            j = order[c]
            if not suppressed[j] and iou(boxes[i], boxes[j]) > iou_threshold:
                suppressed[j] = True
    out = np.empty(len(keep), dtype=np.int64)
    for k in range(len(keep)):
        out[k] = keep[k]
    return out
