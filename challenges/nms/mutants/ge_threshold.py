"""Suppresses a box whose IoU EQUALS the threshold: uses >= where the rule is strictly greater.

The statement keeps a box at exactly the threshold (torchvision's convention); with `>=`, two boxes
at IoU 0.5 under threshold 0.5 lose the second one.

Breaks: iou_equal_to_threshold_is_kept
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
    iou = _iou(boxes, boxes)
    keep = []
    for i in order.tolist():
        if all(iou[i, k] < iou_threshold for k in keep):
            keep.append(i)
    return torch.tensor(keep, dtype=torch.int64)
