"""Reads size as (width, height), the PIL / OpenCV order, instead of (out_h, out_w).

Breaks: output_contract
"""

import torch


def _coords(n_in, n_out, align_corners, dtype):
    dst = torch.arange(n_out, dtype=dtype)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = ((dst + 0.5) * (n_in / n_out) - 0.5).clamp(min=0)
    low = src.floor().long().clamp(max=n_in - 1)
    high = (low + 1).clamp(max=n_in - 1)
    return low, high, src - low.to(dtype)


def resize_bilinear(image, size, align_corners=False):
    size = (size[1], size[0])
    out_h, out_w = size
    x = image if image.dim() == 4 else image.unsqueeze(0)
    in_h, in_w = x.shape[-2:]
    y0, y1, wy = _coords(in_h, out_h, align_corners, x.dtype)
    x0, x1, wx = _coords(in_w, out_w, align_corners, x.dtype)
    rows = x[..., y0, :] * (1 - wy[:, None]) + x[..., y1, :] * wy[:, None]
    out = rows[..., x0] * (1 - wx) + rows[..., x1] * wx
    return out if image.dim() == 4 else out.squeeze(0)
