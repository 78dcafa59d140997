"""Readable reference for pairwise IoU: the specification every track is graded against."""

import torch


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Area of (N, 4) ``x1, y1, x2, y2`` boxes; inverted sides count as zero width or height."""
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """IoU of every box in ``boxes1`` (N, 4) with every box in ``boxes2`` (M, 4), as (N, M).

    No +1 pixel convention; IoU is 0 where the union is 0, so degenerate boxes never give NaN.
    """
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    sides = (bottom_right - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    safe_union = torch.where(union > 0, union, torch.ones_like(union))
    return torch.where(union > 0, inter / safe_union, torch.zeros_like(union))
