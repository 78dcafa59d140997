"""Takes the union as |a| + |b|, counting the shared pixels twice: a mask scores 0.5 with itself.

Breaks: mask_iou_self_is_one
"""

import torch


def dice_loss(logits, targets, smooth=1.0):
    p = torch.sigmoid(logits)
    dims = tuple(range(1, logits.dim()))
    inter = (p * targets).sum(dims)
    return (1 - (2 * inter + smooth) / (p.sum(dims) + targets.sum(dims) + smooth)).mean()


def mask_iou(masks_a, masks_b):
    a = masks_a.flatten(1).double()
    b = masks_b.flatten(1).double()
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :]
    return torch.where(union > 0, inter / union.clamp(min=1), 0.0).float()
