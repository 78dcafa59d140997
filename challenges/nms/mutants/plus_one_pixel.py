"""Measures boxes with the old Pascal VOC "+1 pixel" convention: width = x2 - x1 + 1.

On small integer boxes the extra pixel changes IoUs a lot (two 2x2 boxes sharing one column go
from 1/3 to 1/2), so different boxes are suppressed than under the statement's convention.

Breaks: no_plus_one_pixel
"""

import torch


def nms(boxes, scores, iou_threshold):
    order = torch.sort(scores, descending=True, stable=True).indices
    x1, y1, x2, y2 = boxes.unbind(1)
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    keep = []
    for i in order.tolist():
        ok = True
        for k in keep:
            w = (torch.minimum(x2[i], x2[k]) - torch.maximum(x1[i], x1[k]) + 1).clamp(min=0)
            h = (torch.minimum(y2[i], y2[k]) - torch.maximum(y1[i], y1[k]) + 1).clamp(min=0)
            inter = w * h
            if inter / (area[i] + area[k] - inter) > iou_threshold:
                ok = False
                break
        if ok:
            keep.append(i)
    return torch.tensor(keep, dtype=torch.int64)
