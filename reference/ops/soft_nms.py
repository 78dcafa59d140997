"""Readable reference for Soft-NMS (Bodla et al., 2017): decay the neighbours' scores instead of deleting them."""

import math

import torch

from reference.ops.box_iou import box_iou

METHODS = ("linear", "gaussian", "hard")


def decay_factor(overlap: torch.Tensor, method: str, sigma: float, iou_threshold: float) -> torch.Tensor:
    """What each remaining score is multiplied by, given its IoU ``overlap`` with the box just kept."""
    ones = torch.ones_like(overlap)
    if method == "linear":
        return torch.where(overlap > iou_threshold, 1 - overlap, ones)
    if method == "gaussian":
        return torch.exp(-(overlap * overlap) / sigma)
    return torch.where(overlap > iou_threshold, torch.zeros_like(overlap), ones)


def soft_nms(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    method: str = "gaussian",
    sigma: float = 0.5,
    iou_threshold: float = 0.3,
    score_threshold: float = 0.001,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (int64) of the boxes Soft-NMS selects, in selection order, and their scores at selection.

    Each round selects the remaining box with the highest current score (the lower index among
    equal scores), stops if that score is below ``score_threshold``, and otherwise keeps it and
    multiplies every other remaining score by the decay of its IoU with the kept box.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    iou = box_iou(boxes, boxes)
    current = scores.clone()
    remaining = torch.ones(len(scores), dtype=torch.bool, device=scores.device)
    keep, kept_scores = [], []
    while bool(remaining.any()):
        # argmax returns the first maximal index, so equal scores go to the lower index.
        candidates = torch.where(remaining, current, torch.full_like(current, -math.inf))
        best = int(torch.argmax(candidates))
        if current[best] < score_threshold:
            break
        keep.append(best)
        kept_scores.append(current[best])
        remaining[best] = False
        current = current * decay_factor(iou[best], method, sigma, iou_threshold)
    keep_tensor = torch.tensor(keep, dtype=torch.int64, device=scores.device)
    scores_tensor = torch.stack(kept_scores) if kept_scores else scores.new_zeros(0)
    return keep_tensor, scores_tensor
