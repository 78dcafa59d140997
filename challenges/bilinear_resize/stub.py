"""Bilinear image resizing. See README.md in this folder for the full statement."""

import torch


def resize_bilinear(image: torch.Tensor, size: tuple[int, int], align_corners: bool = False) -> torch.Tensor:
    """Resize a float (C, H, W) or (N, C, H, W) image to ``size = (out_h, out_w)`` bilinearly.

    The result equals ``F.interpolate(mode="bilinear", antialias=False)`` for both values of
    ``align_corners`` and has the input's rank and dtype. Do not modify the input.
    """
    raise NotImplementedError("resize_bilinear: write your solution here")
