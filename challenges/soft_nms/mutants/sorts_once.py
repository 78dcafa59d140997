"""Sorts by the original scores once and walks that order, decaying scores but never re-ranking,
so a decayed box is still visited before a box that now has a higher score.

Breaks: worked_example
"""

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
    current = scores.clone()
    order = torch.sort(scores, descending=True, stable=True).indices.tolist()
    keep, kept = [], []
    for i in order:
        if current[i] < score_threshold:
            continue
        keep.append(i)
        kept.append(current[i])
        o = iou[i]
        if method == "linear":
            factor = torch.where(o > iou_threshold, 1 - o, torch.ones_like(o))
        elif method == "gaussian":
            factor = torch.exp(-o * o / sigma)
        else:
            factor = torch.where(o > iou_threshold, torch.zeros_like(o), torch.ones_like(o))
        factor[i] = 1
        current = current * factor
    return torch.tensor(keep, dtype=torch.int64), torch.stack(kept) if kept else scores.new_zeros(0)
