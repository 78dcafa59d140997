"""Vectorizes NMS as "keep a box unless ANY higher-scoring box overlaps it above the threshold".

That one-liner forgets that a box which was itself suppressed must not suppress anything: in a
chain A > B > C where A removes B, C can survive even though it overlaps B.

Breaks: suppressed_box_suppresses_nothing
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
    order = torch.sort(scores, descending=True, stable=True).indices
    iou = _iou(boxes[order], boxes[order])
    earlier = torch.ones_like(iou, dtype=torch.bool).triu(1)  # [r, c]: rank r is visited before c
    dropped = ((iou > iou_threshold) & earlier).any(0)
    return order[~dropped]
