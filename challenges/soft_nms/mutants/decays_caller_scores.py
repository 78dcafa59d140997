"""Decays the caller's scores tensor in place (scores *= factor) instead of a copy.

Breaks: inputs_unchanged
"""

import math

import torch


def _iou(b):
    lt = torch.maximum(b[:, None, :2], b[None, :, :2])
    rb = torch.minimum(b[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area[:, None] + area[None, :] - inter
    return torch.where(union > 0, inter / torch.where(union > 0, union, 1), torch.zeros_like(union))


def soft_nms(boxes, scores, method="gaussian", sigma=0.5, iou_threshold=0.3, score_threshold=0.001):
    iou = _iou(boxes)
    remaining = torch.ones(len(scores), dtype=torch.bool)
    keep, kept = [], []
    while bool(remaining.any()):
        best = int(torch.argmax(torch.where(remaining, scores, torch.full_like(scores, -math.inf))))
        if scores[best] < score_threshold:
            break
        keep.append(best)
        kept.append(scores[best].clone())
        remaining[best] = False
        o = iou[best]
        if method == "linear":
            factor = torch.where(o > iou_threshold, 1 - o, torch.ones_like(o))
        elif method == "gaussian":
            factor = torch.exp(-o * o / sigma)
        else:
            factor = torch.where(o > iou_threshold, torch.zeros_like(o), torch.ones_like(o))
        factor[best] = 1
        scores *= factor
    return torch.tensor(keep, dtype=torch.int64), torch.stack(kept) if kept else scores.new_zeros(0)
