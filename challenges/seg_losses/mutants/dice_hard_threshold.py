"""Thresholds the probabilities at 0.5 before the Dice formula: the value looks plausible, but a
step function has no gradient, so the loss cannot train anything.

Breaks: dice_gradient
"""

import torch


def dice_loss(logits, targets, smooth=1.0):
    p = (torch.sigmoid(logits) > 0.5).to(logits.dtype)
    dims = tuple(range(1, logits.dim()))
    inter = (p * targets).sum(dims)
    return (1 - (2 * inter + smooth) / (p.sum(dims) + targets.sum(dims) + smooth)).mean()


def mask_iou(masks_a, masks_b):
    a = masks_a.flatten(1).double()
    b = masks_b.flatten(1).double()
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1), 0.0).float()
