"""Readable reference for the sigmoid focal loss (RetinaNet), torchvision's definition."""

import torch


def _bce_with_logits(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """-[t·log σ(x) + (1 - t)·log(1 - σ(x))] written so it never takes the log of 0.

    log σ(x) = -softplus(-x) and log(1 - σ(x)) = -softplus(x); softplus(x) = max(x, 0) + log1p(exp(-|x|)).
    """
    return inputs.clamp(min=0) - inputs * targets + torch.log1p(torch.exp(-inputs.abs()))


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """Focal loss of logits ``inputs`` against targets in [0, 1] of the same shape.

    loss = alpha_t · (1 - p_t)^gamma · BCE(inputs, targets), where p = σ(inputs),
    p_t = p·t + (1 - p)·(1 - t) and alpha_t = alpha·t + (1 - alpha)·(1 - t); alpha < 0 turns the
    alpha weighting off. ``reduction`` is "none" (elementwise), "mean" or "sum"; anything else is a
    ValueError. The result has the inputs' dtype.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"invalid reduction {reduction!r}: expected 'none', 'mean' or 'sum'")
    p = torch.sigmoid(inputs)
    ce = _bce_with_logits(inputs, targets)
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
