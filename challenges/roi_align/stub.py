"""RoIAlign. See README.md in this folder for the full statement."""

import torch


def roi_align(features, rois, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """Pool ``features`` (N, C, H, W) over ``rois`` (K, 5) = batch_index, x1, y1, x2, y2 into (K, C, h, w).

    output_size is an int or (h, w). torchvision's semantics: box coordinates times spatial_scale,
    a half-pixel shift when aligned, an adaptive sampling grid when sampling_ratio <= 0, zero
    outside the map. Differentiable with respect to features. Do not modify the inputs.
    """
    raise NotImplementedError("roi_align: write your solution here")
