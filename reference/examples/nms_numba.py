"""Reference solution for nms_numba: greedy NMS over a score-sorted, contiguous copy of the boxes.

The boxes are gathered once into visiting order (so the inner loop reads memory sequentially),
their areas computed once, and a box already suppressed is skipped without computing its IoU.
IoU is computed in the boxes' dtype and compared with the threshold rounded to that dtype, as the
reference does (``iou > iou_threshold`` on a tensor of the boxes' dtype compares in that dtype).
"""

import numpy as np
from numba import njit


@njit(cache=False)
def nms(boxes, scores, iou_threshold):
    n = boxes.shape[0]
    # Descending score, lower index first among equal scores: a stable sort of the negated scores.
    order = np.argsort(-scores, kind="mergesort")
    zero = boxes.dtype.type(0)
    thr = boxes.dtype.type(iou_threshold)
    x1 = np.empty(n, dtype=boxes.dtype)
    y1 = np.empty(n, dtype=boxes.dtype)
    x2 = np.empty(n, dtype=boxes.dtype)
    y2 = np.empty(n, dtype=boxes.dtype)
    area = np.empty(n, dtype=boxes.dtype)
    for r in range(n):
        i = order[r]
        x1[r], y1[r], x2[r], y2[r] = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        area[r] = max(x2[r] - x1[r], zero) * max(y2[r] - y1[r], zero)
    suppressed = np.zeros(n, dtype=np.bool_)
    keep = np.empty(n, dtype=np.int64)
    kept = 0
    for r in range(n):
        if suppressed[r]:
            continue
        keep[kept] = order[r]
        kept += 1
        ax1, ay1, ax2, ay2, a_area = x1[r], y1[r], x2[r], y2[r], area[r]
        if a_area <= zero:
            continue  # a box without area has IoU 0 with everything: it suppresses nothing
        for c in range(r + 1, n):
            if suppressed[c]:
                continue
            w = min(ax2, x2[c]) - max(ax1, x1[c])
            h = min(ay2, y2[c]) - max(ay1, y1[c])
            if w <= zero or h <= zero:
                continue  # no overlap: IoU 0, never above a threshold >= 0
            inter = w * h
            union = a_area + area[c] - inter
            if union > zero and inter / union > thr:
                suppressed[c] = True
    return keep[:kept].copy()
