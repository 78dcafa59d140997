"""Uses floor instead of ceil for the adaptive sampling grid (at least 1 sample), so a bin
2.5 pixels tall gets 2 samples per axis instead of 3.

Breaks: matches_reference
"""

import math

import torch


def _weights(start, bin_size, bins, grid, size, dtype):
    w = torch.zeros(bins, size, dtype=dtype)
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
    n, c, height, width = features.shape
    off = 0.5 if aligned else 0.0
    out = []
    for b, x1, y1, x2, y2 in rois.tolist():
        x1, y1, x2, y2 = x1 * spatial_scale - off, y1 * spatial_scale - off, x2 * spatial_scale - off, y2 * spatial_scale - off
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sampling_ratio if sampling_ratio > 0 else max(math.floor(rh / oh), 1)
        gw = sampling_ratio if sampling_ratio > 0 else max(math.floor(rw / ow), 1)
        if gh <= 0 or gw <= 0:
            out.append(torch.zeros(c, oh, ow, dtype=features.dtype) + 0 * features.sum())
            continue
        wy = _weights(y1, rh / oh, oh, gh, height, features.dtype)
        wx = _weights(x1, rw / ow, ow, gw, width, features.dtype)
        out.append(torch.einsum("ph,chw,qw->cpq", wy, features[int(b)], wx))
    return torch.stack(out) if out else features.new_zeros(0, c, oh, ow)
