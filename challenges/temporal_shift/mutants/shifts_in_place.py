"""Copies TSM's in-place variant: writes the shifted channels straight into the caller's x to save
memory, so the caller's features are overwritten.

Breaks: inputs_unchanged
"""

import torch


def temporal_shift(x, n_segment, fold_div=8):
    if x.dim() != 4 or x.shape[0] % n_segment:
        raise ValueError("x must be (N*T, C, H, W) with N*T a multiple of n_segment")
    nt, c, h, w = x.shape
    clips = x.view(nt // n_segment, n_segment, c, h, w)
    fold = c // fold_div
    with torch.no_grad():
        ahead = clips[:, 1:, :fold].clone()
        back = clips[:, :-1, fold : 2 * fold].clone()
        clips[:, :-1, :fold] = ahead
        clips[:, -1, :fold] = 0
        clips[:, 1:, fold : 2 * fold] = back
        clips[:, 0, fold : 2 * fold] = 0
    return x
