"""Multiplies by ratio when mapping back instead of dividing (applies the forward scaling twice).\n\nBreaks: unletterbox_matches_reference
"""

import torch
import torch.nn.functional as F


def letterbox(image, new_shape, color=114.0, scaleup=True):
    if isinstance(new_shape, int):
        new_shape = (new_shape, new_shape)
    new_h, new_w = new_shape
    h, w = image.shape[-2:]
    r = min(new_h / h, new_w / w)
    if not scaleup:
        r = min(r, 1.0)
    rw, rh = int(round(w * r)), int(round(h * r))
    dw, dh = (new_w - rw) / 2, (new_h - rh) / 2
    if (rh, rw) != (h, w):
        image = F.interpolate(image[None], size=(rh, rw), mode="bilinear", align_corners=False)[0]
    top, left = int(round(dh - 0.1)), int(round(dw - 0.1))
    out = torch.full((image.shape[0], new_h, new_w), float(color), dtype=image.dtype)
    out[:, top:top + rh, left:left + rw] = image
    return out, r, (dw, dh)


def unletterbox_boxes(boxes, ratio, pad):
    left, top = int(round(pad[0] - 0.1)), int(round(pad[1] - 0.1))
    return (boxes - torch.tensor([left, top, left, top], dtype=boxes.dtype)) * ratio
