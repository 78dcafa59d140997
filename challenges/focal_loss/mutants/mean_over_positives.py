"""Normalizes 'mean' by the number of positive targets, as RetinaNet's training loop does, instead of
by the number of elements as torchvision's reduction does.

Breaks: reductions_consistent
"""

import torch
import torch.nn.functional as F


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction)
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.sum() / (targets > 0.5).sum().clamp(min=1)
    return loss.sum() if reduction == "sum" else loss
