"""Readable reference for the top-down pathway of a Feature Pyramid Network (torchvision's
FeaturePyramidNetwork without extra blocks)."""

import torch.nn.functional as F


def fpn_top_down(features, lateral, output):
    """P2…P5 from backbone maps C2…C5.

    ``features``: list of (N, C_i, H_i, W_i) tensors, finest (highest resolution) first.
    ``lateral``:  list of (weight (D, C_i, 1, 1), bias (D,)) for the 1×1 lateral convolutions.
    ``output``:   list of (weight (D, D, 3, 3), bias (D,)) for the 3×3 output convolutions (padding 1).
    Returns a list of (N, D, H_i, W_i) tensors in the same order as ``features``.
    """
    levels = len(features)
    results = [None] * levels
    # The coarsest level has nothing above it: its running map is just its lateral.
    inner = F.conv2d(features[-1], *lateral[-1])
    results[-1] = F.conv2d(inner, *output[-1], padding=1)
    for i in range(levels - 2, -1, -1):
        here = F.conv2d(features[i], *lateral[i])
        # Nearest-neighbour upsampling to this level's exact size (odd sizes included): source index
        # floor(dst * in / out), torch's mode="nearest".
        top_down = F.interpolate(inner, size=here.shape[-2:], mode="nearest")
        inner = here + top_down
        results[i] = F.conv2d(inner, *output[i], padding=1)
    return results
