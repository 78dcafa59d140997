"""Sorts scores ascending and flips the result, so among equal scores the HIGHER index comes first.

`torch.argsort(scores).flip(0)` looks like a descending sort, but flipping a stable ascending sort
reverses the order of ties too; the statement visits equal scores lower index first.

Breaks: kept_in_score_order
"""

import torch


def _iou(a, b):
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / torch.where(union > 0, union, 1), torch.zeros_like(union))


def nms(boxes, scores, iou_threshold):
    order = torch.argsort(scores, stable=True).flip(0)
    iou = _iou(boxes, boxes)
    suppressed = torch.zeros(len(boxes), dtype=torch.bool)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return torch.tensor(keep, dtype=torch.int64)
