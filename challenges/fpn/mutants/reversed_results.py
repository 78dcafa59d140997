"""Appends each level's output while walking from the coarsest level down, so the list comes back
coarsest first (P5, P4, …) instead of in the order of the inputs.

Breaks: output_contract
"""

import torch.nn.functional as F


def fpn_top_down(features, lateral, output):
    inner = F.conv2d(features[-1], *lateral[-1])
    results = [F.conv2d(inner, *output[-1], padding=1)]
    for i in range(len(features) - 2, -1, -1):
        here = F.conv2d(features[i], *lateral[i])
        inner = here + F.interpolate(inner, size=here.shape[-2:], mode="nearest")
        results.append(F.conv2d(inner, *output[i], padding=1))
    return results
