"""Reads the list as coarsest first and walks from features[0] to the end, resizing each running map
to the next level: the "top-down" signal now flows from fine to coarse (nearest downsampling).

Breaks: coarsest_sees_only_itself
"""

import torch.nn.functional as F


def fpn_top_down(features, lateral, output):
    inner = F.conv2d(features[0], *lateral[0])
    results = [F.conv2d(inner, *output[0], padding=1)]
    for i in range(1, len(features)):
        here = F.conv2d(features[i], *lateral[i])
        inner = here + F.interpolate(inner, size=here.shape[-2:], mode="nearest")
        results.append(F.conv2d(inner, *output[i], padding=1))
    return results
