"""Readable reference for RoIAlign with torchvision's semantics, differentiable through autograd.

Each output bin averages a grid of bilinear samples. Bilinear sampling along one axis is a linear
map, so for one RoI the sampled grid is ``A_y @ feature_map @ A_x.T`` with small interpolation
matrices; gradients with respect to the features then come from autograd for free.
"""

import math

import torch


def _axis_weights(start, bin_size, bins, grid, size, dtype):
    """(bins, size) matrix: row b averages the ``grid`` samples of bin b along one axis.

    Sample g of bin b sits at start + b·bin_size + (g + 0.5)·bin_size / grid. A sample beyond
    [-1, size] contributes 0; otherwise it is clamped to [0, size - 1] and split linearly between
    its two neighbouring pixels, as torchvision's bilinear_interpolate does.
    """
    weights = torch.zeros(bins, size, dtype=dtype)
    for b in range(bins):
        for g in range(grid):
            pos = start + b * bin_size + (g + 0.5) * bin_size / grid
            if pos < -1.0 or pos > size:
                continue  # outside the feature map: this sample is zero
            pos = max(pos, 0.0)
            low = int(pos)
            if low >= size - 1:
                low = high = size - 1
                pos = float(low)
            else:
                high = low + 1
            frac = pos - low
            weights[b, low] += (1 - frac) / grid
            weights[b, high] += frac / grid
    return weights


def roi_align(features, rois, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoIAlign of ``features`` (N, C, H, W) over ``rois`` (K, 5) = batch_index, x1, y1, x2, y2.

    ``output_size`` is an int or (h, w). Box coordinates are multiplied by ``spatial_scale``;
    ``aligned`` shifts them by -0.5 (pixel centres), otherwise RoIs are made at least 1×1.
    ``sampling_ratio`` > 0 fixes the samples per bin and axis; <= 0 uses ceil(RoI side / bins).
    Returns (K, C, h, w) in the features' dtype.
    """
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    _, channels, height, width = features.shape
    offset = 0.5 if aligned else 0.0
    pooled = []
    for roi in rois.tolist():  # coordinates as Python floats (float64): the grid is plain arithmetic
        batch = int(roi[0])
        x1, y1, x2, y2 = (v * spatial_scale - offset for v in roi[1:])
        roi_w, roi_h = x2 - x1, y2 - y1
        if not aligned:  # legacy behaviour: force malformed or tiny RoIs to 1×1
            roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
        grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / out_h)
        grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / out_w)
        if grid_h <= 0 or grid_w <= 0:  # an empty aligned RoI: no samples, every bin is 0
            pooled.append(features.new_zeros(channels, out_h, out_w) + 0 * features[batch].sum())
            continue
        a_y = _axis_weights(y1, roi_h / out_h, out_h, grid_h, height, features.dtype)
        a_x = _axis_weights(x1, roi_w / out_w, out_w, grid_w, width, features.dtype)
        pooled.append(torch.einsum("ph,chw,qw->cpq", a_y, features[batch], a_x))
    if not pooled:
        return features.new_zeros(0, channels, out_h, out_w)
    return torch.stack(pooled)
