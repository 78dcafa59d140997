"""GIoU, DIoU and CIoU. See README.md in this folder for the full statement."""

import torch


def generalized_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Pairwise generalized IoU (N, M) of boxes1 (N, 4) and boxes2 (M, 4), ``x1, y1, x2, y2`` of positive area."""
    raise NotImplementedError("generalized_box_iou: write your solution here")


def distance_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Pairwise distance IoU (N, M): IoU minus squared centre distance over (squared enclosing diagonal + eps)."""
    raise NotImplementedError("distance_box_iou: write your solution here")


def complete_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Pairwise complete IoU (N, M): DIoU minus an aspect-ratio penalty alpha·v. Results keep the inputs' dtype."""
    raise NotImplementedError("complete_box_iou: write your solution here")
