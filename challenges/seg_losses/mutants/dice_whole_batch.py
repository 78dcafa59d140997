"""Sums the Dice terms over the whole batch at once, so big masks drown out small ones and the
loss is no longer the mean of per-sample losses.

Breaks: dice_is_mean_of_per_sample_losses
"""

import torch


def dice_loss(logits, targets, smooth=1.0):
    p = torch.sigmoid(logits)
    inter = (p * targets).sum()
    return 1 - (2 * inter + smooth) / (p.sum() + targets.sum() + smooth)


def mask_iou(masks_a, masks_b):
    a = masks_a.flatten(1).double()
    b = masks_b.flatten(1).double()
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1), 0.0).float()
