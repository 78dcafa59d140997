"""Does the shift in numpy and wraps the result back into a tensor: the values are right, but the
autograd graph is cut, so nothing before the shift would ever train.

Breaks: gradients_flow
"""

import numpy as np
import torch


def temporal_shift(x, n_segment, fold_div=8):
    if x.dim() != 4 or x.shape[0] % n_segment:
        raise ValueError("x must be (N*T, C, H, W) with N*T a multiple of n_segment")
    nt, c, h, w = x.shape
    clips = x.detach().numpy().reshape(nt // n_segment, n_segment, c, h, w)
    fold = c // fold_div
    out = np.zeros_like(clips)
    out[:, :-1, :fold] = clips[:, 1:, :fold]
    out[:, 1:, fold : 2 * fold] = clips[:, :-1, fold : 2 * fold]
    out[:, :, 2 * fold :] = clips[:, :, 2 * fold :]
    return torch.from_numpy(out.reshape(nt, c, h, w))
