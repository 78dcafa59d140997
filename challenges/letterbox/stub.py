"""YOLO letterbox preprocessing. See README.md in this folder for the full statement."""

import torch


def letterbox(image: torch.Tensor, new_shape, color: float = 114.0, scaleup: bool = True):
    """Return (padded, ratio, (pad_w, pad_h)) for a float (C, H, W) image and new_shape = (new_h, new_w) or an int.

    ratio = min(new_h / H, new_w / W), at most 1 unless scaleup; bilinear resize (align_corners=False,
    no antialias) to (round(H·ratio), round(W·ratio)); pad with color, half each side, the odd pixel
    at the bottom / right. padded has the image's dtype. Do not modify the inputs.
    """
    raise NotImplementedError("letterbox: write your solution here")


def unletterbox_boxes(boxes: torch.Tensor, ratio: float, pad) -> torch.Tensor:
    """Map (N, 4) x1, y1, x2, y2 boxes in letterboxed pixels back to the original image (same dtype)."""
    raise NotImplementedError("unletterbox_boxes: write your solution here")
