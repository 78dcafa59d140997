"""Divides by the union without a guard: two empty masks give 0 / 0 = NaN.

Breaks: mask_iou_empty_masks_give_zero
"""

import torch


def dice_loss(logits, targets, smooth=1.0):
    p = torch.sigmoid(logits)
    dims = tuple(range(1, logits.dim()))
    inter = (p * targets).sum(dims)
    return (1 - (2 * inter + smooth) / (p.sum(dims) + targets.sum(dims) + smooth)).mean()


def mask_iou(masks_a, masks_b):
    a = masks_a.flatten(1).float()
    b = masks_b.flatten(1).float()
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return inter / union
