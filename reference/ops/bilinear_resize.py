"""Readable reference for bilinear resizing, the same sampling as
``F.interpolate(mode="bilinear", antialias=False)`` in both corner conventions."""

import torch


def _source_coords(in_size: int, out_size: int, align_corners: bool, dtype: torch.dtype):
    """For each output index along one axis: the two source indices and the weight of the second."""
    dst = torch.arange(out_size, dtype=dtype)
    if align_corners:
        # The first and last samples sit exactly on the first and last input pixels.
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        src = dst * scale
    else:
        # Half-pixel centres: pixel i covers [i, i + 1) and its centre is i + 0.5.
        scale = in_size / out_size
        src = ((dst + 0.5) * scale - 0.5).clamp(min=0.0)
    low = src.floor().long().clamp(max=in_size - 1)
    high = (low + 1).clamp(max=in_size - 1)
    weight = src - low.to(dtype)
    return low, high, weight


def resize_bilinear(image: torch.Tensor, size: tuple[int, int], align_corners: bool = False) -> torch.Tensor:
    """Resize a (C, H, W) or (N, C, H, W) float image to ``size = (out_h, out_w)`` bilinearly.

    Returns the input's rank and dtype. No antialiasing when downsampling.
    """
    out_h, out_w = size
    batched = image.dim() == 4
    x = image if batched else image.unsqueeze(0)
    in_h, in_w = x.shape[-2:]
    y0, y1, wy = _source_coords(in_h, out_h, align_corners, x.dtype)
    x0, x1, wx = _source_coords(in_w, out_w, align_corners, x.dtype)
    # Interpolate along rows first, then along columns; the order does not matter mathematically.
    top = x[..., y0, :]
    bottom = x[..., y1, :]
    rows = top + (bottom - top) * wy[:, None]
    left = rows[..., x0]
    right = rows[..., x1]
    out = left + (right - left) * wx
    return out if batched else out.squeeze(0)
