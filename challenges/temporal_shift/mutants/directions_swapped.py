"""Shifts the two folds the wrong way: channels [0, fold) read the previous frame and
[fold, 2*fold) the next one. The amount of mixing is the same, but pretrained TSM weights expect
the official direction.

Breaks: worked_example
"""

import torch


def temporal_shift(x, n_segment, fold_div=8):
    if x.dim() != 4 or x.shape[0] % n_segment:
        raise ValueError("x must be (N*T, C, H, W) with N*T a multiple of n_segment")
    nt, c, h, w = x.shape
    clips = x.reshape(nt // n_segment, n_segment, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(clips)
    out[:, 1:, :fold] = clips[:, :-1, :fold]
    out[:, :-1, fold : 2 * fold] = clips[:, 1:, fold : 2 * fold]
    out[:, :, 2 * fold :] = clips[:, :, 2 * fold :]
    return out.reshape(nt, c, h, w)
