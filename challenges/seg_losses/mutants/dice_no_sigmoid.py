"""Feeds the raw logits into the Dice formula as if they were probabilities.

Breaks: dice_matches_reference
"""

import torch


def dice_loss(logits, targets, smooth=1.0):
    dims = tuple(range(1, logits.dim()))
    inter = (logits * targets).sum(dims)
    return (1 - (2 * inter + smooth) / (logits.sum(dims) + targets.sum(dims) + smooth)).mean()


def mask_iou(masks_a, masks_b):
    a = masks_a.flatten(1).double()
    b = masks_b.flatten(1).double()
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1), 0.0).float()
