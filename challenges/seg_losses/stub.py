"""Soft Dice loss and pairwise mask IoU. See README.md in this folder for the full statement."""

import torch


def dice_loss(logits: torch.Tensor, targets: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Binary soft Dice loss of ``logits`` (N, ...) against ``targets`` of the same shape.

    Per sample, over every non-batch dimension: 1 - (2·Σ p·t + smooth) / (Σ p + Σ t + smooth) with
    p = sigmoid(logits); return the mean over the batch as a 0-dim tensor of the logits' dtype,
    differentiable with respect to ``logits``. Do not modify the inputs.
    """
    raise NotImplementedError("dice_loss: write your solution here")


def mask_iou(masks_a: torch.Tensor, masks_b: torch.Tensor) -> torch.Tensor:
    """IoU of every boolean mask in ``masks_a`` (N, H, W) with every one in ``masks_b`` (M, H, W).

    Return float32 (N, M); 0 where the union is empty. Do not modify the inputs.
    """
    raise NotImplementedError("mask_iou: write your solution here")
