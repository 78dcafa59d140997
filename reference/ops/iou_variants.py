"""Readable reference for GIoU, DIoU and CIoU, the IoU variants used as box-regression losses."""

import math

import torch

from reference.ops.box_iou import box_area, box_iou


def _enclosing_sides(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Width and height (N, M, 2) of the smallest box enclosing each pair."""
    top_left = torch.minimum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = torch.maximum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    return (bottom_right - top_left).clamp(min=0)


def generalized_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """GIoU (N, M): IoU minus the share of the enclosing box C that the union does not cover."""
    iou = box_iou(boxes1, boxes2)
    sides = (torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:]) - torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    enclosing = _enclosing_sides(boxes1, boxes2)
    enclosing_area = enclosing[..., 0] * enclosing[..., 1]
    return iou - (enclosing_area - union) / enclosing_area


def _centres(boxes: torch.Tensor) -> torch.Tensor:
    return (boxes[:, :2] + boxes[:, 2:]) / 2


def distance_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """DIoU (N, M): IoU minus the squared centre distance over the squared diagonal of the enclosing box (+ eps)."""
    iou = box_iou(boxes1, boxes2)
    enclosing = _enclosing_sides(boxes1, boxes2)
    diagonal_squared = enclosing[..., 0] ** 2 + enclosing[..., 1] ** 2 + eps
    offset = _centres(boxes1)[:, None, :] - _centres(boxes2)[None, :, :]
    centre_distance_squared = offset[..., 0] ** 2 + offset[..., 1] ** 2
    return iou - centre_distance_squared / diagonal_squared


def complete_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """CIoU (N, M): DIoU minus alpha·v, where v measures how differently the two aspect ratios lean.

    ``v = 4/pi² · (atan(w1/h1) - atan(w2/h2))²`` and ``alpha = v / (1 - IoU + v + eps)``.
    """
    iou = box_iou(boxes1, boxes2)
    diou = distance_box_iou(boxes1, boxes2, eps)
    angle1 = torch.atan((boxes1[:, 2] - boxes1[:, 0]) / (boxes1[:, 3] - boxes1[:, 1]))
    angle2 = torch.atan((boxes2[:, 2] - boxes2[:, 0]) / (boxes2[:, 3] - boxes2[:, 1]))
    v = (4 / math.pi**2) * (angle1[:, None] - angle2[None, :]) ** 2
    alpha = v / (1 - iou + v + eps)
    return diou - alpha * v
