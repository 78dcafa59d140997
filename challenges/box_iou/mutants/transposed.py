"""Builds the grid the other way round and returns (M, N).

Breaks: output_contract
"""

import torch


def box_iou(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.maximum(boxes2[:, None, :2], boxes1[None, :, :2])
    rb = torch.minimum(boxes2[:, None, 2:], boxes1[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area2[:, None] + area1[None, :] - inter
    return torch.where(union > 0, inter / torch.where(union > 0, union, 1), torch.zeros_like(union))
