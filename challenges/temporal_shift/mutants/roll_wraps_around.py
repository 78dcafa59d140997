"""Uses torch.roll along time, so the last frame's look-ahead channels read the first frame
(and the first frame's look-back channels read the last) instead of zeros.

Breaks: zeros_at_clip_ends
"""

import torch


def temporal_shift(x, n_segment, fold_div=8):
    if x.dim() != 4 or x.shape[0] % n_segment:
        raise ValueError("x must be (N*T, C, H, W) with N*T a multiple of n_segment")
    nt, c, h, w = x.shape
    clips = x.reshape(nt // n_segment, n_segment, c, h, w)
    fold = c // fold_div
    ahead = torch.roll(clips[:, :, :fold], shifts=-1, dims=1)
    back = torch.roll(clips[:, :, fold : 2 * fold], shifts=1, dims=1)
    return torch.cat([ahead, back, clips[:, :, 2 * fold :]], dim=2).reshape(nt, c, h, w)
