"""Readable reference for greedy non-maximum suppression."""

import torch

from reference.ops.box_iou import box_iou


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices (int64) of the boxes greedy NMS keeps, in the order kept.

    Boxes are visited by descending score, the lower index first among equal scores. A box is
    dropped when its IoU with an already kept box is strictly greater than ``iou_threshold``.
    """
    order = torch.sort(scores, descending=True, stable=True).indices
    if order.numel() == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    iou = box_iou(boxes[order], boxes[order])
    suppressed = torch.zeros(order.numel(), dtype=torch.bool, device=boxes.device)
    keep = []
    for rank in range(order.numel()):
        if suppressed[rank]:
            continue
        keep.append(rank)
        suppressed |= iou[rank] > iou_threshold
    return order[torch.tensor(keep, dtype=torch.int64, device=boxes.device)]
