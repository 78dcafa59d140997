"""Applies alpha_t even when alpha is negative, so alpha = -1 (meant to switch the weighting off)
weighs positives by -1 and negatives by 2.

Breaks: gamma_zero_is_bce
"""

import torch
import torch.nn.functional as F


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction)
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = (alpha * targets + (1 - alpha) * (1 - targets)) * ce * (1 - p_t) ** gamma
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
