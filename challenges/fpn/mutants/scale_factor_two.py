"""Upsamples with scale_factor=2 instead of to the next level's size: fine for 8 → 4 → 2, but a 7-row
level under a 4-row one gets an 8-row map and the addition fails (or a 3-row map under 1 gets 2 rows).

Breaks: odd_sizes
"""

import torch.nn.functional as F


def fpn_top_down(features, lateral, output):
    results = [None] * len(features)
    inner = F.conv2d(features[-1], *lateral[-1])
    results[-1] = F.conv2d(inner, *output[-1], padding=1)
    for i in range(len(features) - 2, -1, -1):
        inner = F.conv2d(features[i], *lateral[i]) + F.interpolate(inner, scale_factor=2, mode="nearest")
        results[i] = F.conv2d(inner, *output[i], padding=1)
    return results
