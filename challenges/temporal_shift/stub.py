"""Temporal shift (TSM). See README.md in this folder for the full statement."""

import torch


def temporal_shift(x: torch.Tensor, n_segment: int, fold_div: int = 8) -> torch.Tensor:
    """Shift channels of x (N*T, C, H, W), T = n_segment, by one frame along time.

    fold = C // fold_div: channels [0, fold) take the next frame's values, channels
    [fold, 2*fold) the previous frame's, the rest stay. Zeros enter at the clip ends.
    Same shape and dtype as x; x is not modified; gradients flow back to x.
    ValueError when x is not 4-D or its first dimension is not a multiple of n_segment.
    """
    raise NotImplementedError("temporal_shift: write your solution here")
