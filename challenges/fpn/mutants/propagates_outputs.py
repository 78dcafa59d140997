"""Carries the smoothed output P_{i+1} down instead of the running sum M_{i+1}, so every output
convolution is applied again at each finer level.

Breaks: matches_reference
"""

import torch.nn.functional as F


def fpn_top_down(features, lateral, output):
    results = [None] * len(features)
    results[-1] = F.conv2d(F.conv2d(features[-1], *lateral[-1]), *output[-1], padding=1)
    for i in range(len(features) - 2, -1, -1):
        here = F.conv2d(features[i], *lateral[i])
        inner = here + F.interpolate(results[i + 1], size=here.shape[-2:], mode="nearest")
        results[i] = F.conv2d(inner, *output[i], padding=1)
    return results
