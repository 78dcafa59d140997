"""Readable reference for two segmentation measures: the soft Dice loss and pairwise mask IoU."""

import torch


def dice_loss(logits: torch.Tensor, targets: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Binary soft Dice loss on sigmoid probabilities, averaged over the batch.

    ``logits`` and ``targets`` have the same shape (N, ...); every dimension after the first is
    summed per sample: ``1 - (2·Σ p·t + smooth) / (Σ p + Σ t + smooth)`` with ``p = sigmoid(logits)``.
    Returns a 0-dim tensor of the logits' dtype, differentiable with respect to ``logits``.
    """
    probs = torch.sigmoid(logits)
    targets = targets.to(probs.dtype)
    dims = tuple(range(1, logits.dim()))
    intersection = (probs * targets).sum(dim=dims)
    total = probs.sum(dim=dims) + targets.sum(dim=dims)
    per_sample = 1.0 - (2.0 * intersection + smooth) / (total + smooth)
    return per_sample.mean()


def mask_iou(masks_a: torch.Tensor, masks_b: torch.Tensor) -> torch.Tensor:
    """IoU of every boolean mask in ``masks_a`` (N, H, W) with every one in ``masks_b`` (M, H, W).

    Returns float32 (N, M); the IoU is 0 where the union is empty (two empty masks).
    """
    a = masks_a.flatten(1).to(torch.float64)
    b = masks_b.flatten(1).to(torch.float64)
    intersection = a @ b.T  # pixel counts are exact in float64
    union = a.sum(dim=1)[:, None] + b.sum(dim=1)[None, :] - intersection
    safe_union = torch.where(union > 0, union, torch.ones_like(union))
    iou = torch.where(union > 0, intersection / safe_union, torch.zeros_like(union))
    return iou.to(torch.float32)
