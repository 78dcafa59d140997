"""Adds smooth only to the denominator "to avoid division by zero": an empty prediction of an
empty mask then scores loss 1, the worst possible, instead of 0.

Breaks: dice_empty_prediction_and_target_is_zero
"""

import torch


def dice_loss(logits, targets, smooth=1.0):
    p = torch.sigmoid(logits)
    dims = tuple(range(1, logits.dim()))
    inter = (p * targets).sum(dims)
    return (1 - 2 * inter / (p.sum(dims) + targets.sum(dims) + smooth)).mean()


def mask_iou(masks_a, masks_b):
    a = masks_a.flatten(1).double()
    b = masks_b.flatten(1).double()
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1), 0.0).float()
