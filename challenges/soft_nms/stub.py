"""Soft-NMS. See README.md in this folder for the full statement."""

import torch


def soft_nms(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    method: str = "gaussian",
    sigma: float = 0.5,
    iou_threshold: float = 0.3,
    score_threshold: float = 0.001,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft-NMS over boxes (N, 4) ``x1, y1, x2, y2`` with scores (N,); method is "linear", "gaussian" or "hard".

    Returns (keep, kept_scores): int64 indices in selection order and each box's score when it was
    selected (the scores' dtype). Do not modify the inputs.
    """
    raise NotImplementedError("soft_nms: write your solution here")
