"""Readable reference for YOLO-style letterbox preprocessing and mapping boxes back."""

import torch
import torch.nn.functional as F


def letterbox(image: torch.Tensor, new_shape, color: float = 114.0, scaleup: bool = True):
    """Resize a float (C, H, W) image to fit ``new_shape`` keeping its aspect ratio, then pad.

    Returns (padded image (C, new_h, new_w) in the image's dtype, ratio, (pad_w, pad_h)), where
    pad_w and pad_h are half the total padding along each axis (floats, possibly .5).
    """
    if isinstance(new_shape, int):
        new_shape = (new_shape, new_shape)
    new_h, new_w = int(new_shape[0]), int(new_shape[1])
    height, width = image.shape[-2:]

    ratio = min(new_h / height, new_w / width)
    if not scaleup:
        ratio = min(ratio, 1.0)  # only shrink: upscaling invents detail and costs accuracy
    resized_w, resized_h = int(round(width * ratio)), int(round(height * ratio))  # Python round: half to even
    pad_w, pad_h = (new_w - resized_w) / 2, (new_h - resized_h) / 2

    if (resized_h, resized_w) != (height, width):
        image = F.interpolate(image[None], size=(resized_h, resized_w), mode="bilinear", align_corners=False)[0]
    top, bottom = int(round(pad_h - 0.1)), int(round(pad_h + 0.1))  # an odd pixel goes to the bottom
    left, right = int(round(pad_w - 0.1)), int(round(pad_w + 0.1))  # and to the right
    out = torch.full((image.shape[0], new_h, new_w), float(color), dtype=image.dtype)
    out[:, top:top + resized_h, left:left + resized_w] = image
    assert top + resized_h + bottom == new_h and left + resized_w + right == new_w
    return out, ratio, (pad_w, pad_h)


def unletterbox_boxes(boxes: torch.Tensor, ratio: float, pad) -> torch.Tensor:
    """Map (N, 4) x1, y1, x2, y2 boxes from letterboxed pixels back to the original image.

    The content starts at column round(pad_w - 0.1) and row round(pad_h - 0.1) (the padding that
    letterbox really put on the left and top); subtract that offset, then divide by ratio.
    """
    pad_w, pad_h = pad
    left, top = int(round(pad_w - 0.1)), int(round(pad_h - 0.1))
    offset = torch.tensor([left, top, left, top], dtype=boxes.dtype)
    return (boxes - offset) / ratio
