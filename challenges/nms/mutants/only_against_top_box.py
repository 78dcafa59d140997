"""Suppresses only against the single highest-scoring box, then keeps everything else that survived.

One pass instead of a loop: the best box removes its neighbours, but two lower-scoring boxes that
overlap each other heavily are both kept.

Breaks: kept_boxes_do_not_overlap
"""

import torch


def _iou(a, b):
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / torch.where(union > 0, union, 1), torch.zeros_like(union))


def nms(boxes, scores, iou_threshold):
    order = torch.sort(scores, descending=True, stable=True).indices
    if len(order) == 0:
        return order
    iou = _iou(boxes[order], boxes[order])
    survive = iou[0] <= iou_threshold
    survive[0] = True
    return order[survive]
