"""Uses mode="nearest-exact" (pixel-centre rounding, floor((y + 0.5)·in/out)): identical for exact
doubling, but on odd sizes it picks different source pixels than torch's "nearest" that FPN uses.

Breaks: odd_sizes
"""

import torch.nn.functional as F


def fpn_top_down(features, lateral, output):
    results = [None] * len(features)
    inner = F.conv2d(features[-1], *lateral[-1])
    results[-1] = F.conv2d(inner, *output[-1], padding=1)
    for i in range(len(features) - 2, -1, -1):
        here = F.conv2d(features[i], *lateral[i])
        inner = here + F.interpolate(inner, size=here.shape[-2:], mode="nearest-exact")
        results[i] = F.conv2d(inner, *output[i], padding=1)
    return results
