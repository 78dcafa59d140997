"""Readable reference for greedy non-maximum suppression: the specification every nms track is
graded against, and the example solution of the python track."""

import torch

from reference.ops.box_iou import box_iou


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices (int64) of the boxes greedy NMS keeps, in the order kept.

    Boxes are visited by descending score, the lower index first among equal scores (a stable
    sort). A box is dropped when its IoU with an already kept box is strictly greater than
    ``iou_threshold``; a dropped box suppresses nothing. IoU follows ``box_iou``: no +1 pixel,
    0 where the union is 0, computed in the boxes' dtype. Empty input gives an empty int64 tensor.
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
