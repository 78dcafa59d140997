"""Marks suppressed boxes by writing -inf into the caller's `scores` tensor, then re-takes the argmax.

A popular loop shape (pick the max, kill its neighbours, repeat), but it destroys the scores the
caller still needs for the kept detections.

Breaks: inputs_unchanged
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
    iou = _iou(boxes, boxes)
    keep = []
    while len(scores) and scores.max() > float("-inf"):
        best = int(torch.argmax(scores))  # the first maximum: lower index among ties
        keep.append(best)
        scores[iou[best] > iou_threshold] = float("-inf")
        scores[best] = float("-inf")
    return torch.tensor(keep, dtype=torch.int64)
