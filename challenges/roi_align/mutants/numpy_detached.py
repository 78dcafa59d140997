"""Computes the pooling in NumPy and wraps the result with torch.from_numpy: the values are right,
but the output is cut off from autograd, so no gradient reaches the features.

Breaks: gradient_matches
"""

import math

import numpy as np
import torch


def _weights(start, bin_size, bins, grid, size):
    w = np.zeros((bins, size))
    for b in range(bins):
        for g in range(grid):
            y = start + b * bin_size + (g + 0.5) * bin_size / grid
            if y < -1.0 or y > size:
                continue
            y = max(y, 0.0)
            lo = int(y)
            if lo >= size - 1:
                lo = hi = size - 1
                y = float(lo)
            else:
                hi = lo + 1
            w[b, lo] += (1 - (y - lo)) / grid
            w[b, hi] += (y - lo) / grid
    return w


def roi_align(features, rois, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    f = features.detach().numpy()
    n, c, height, width = f.shape
    off = 0.5 if aligned else 0.0
    out = np.zeros((len(rois), c, oh, ow), dtype=f.dtype)
    for k, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        x1, y1, x2, y2 = (v * spatial_scale - off for v in (x1, y1, x2, y2))
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / oh)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / ow)
        if gh <= 0 or gw <= 0:
            continue
        wy = _weights(y1, rh / oh, oh, gh, height)
        wx = _weights(x1, rw / ow, ow, gw, width)
        out[k] = np.einsum("ph,chw,qw->cpq", wy, f[int(b)], wx)
    return torch.from_numpy(out)
