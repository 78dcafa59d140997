"""Connected-component labelling of a binary mask. See README.md in this folder for the full statement."""

import torch


def label_components(mask: torch.Tensor, connectivity: int = 4) -> tuple[torch.Tensor, int]:
    """Label the connected components of a boolean (H, W) mask.

    Return ``(labels, count)``: ``labels`` int32 (H, W), 0 on background, 1..count on the components
    in raster order of each component's first pixel; ``count`` a Python int. ``connectivity`` is 4
    or 8; anything else raises ValueError. Do not modify the input.
    """
    raise NotImplementedError("label_components: write your solution here")
