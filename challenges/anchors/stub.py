"""Anchor boxes for a feature pyramid. See README.md in this folder for the full statement."""

import torch


def generate_anchors(image_size, feature_sizes, sizes, aspect_ratios) -> list[torch.Tensor]:
    """One float32 (H * W * A, 4) tensor of x1, y1, x2, y2 anchors per pyramid level.

    image_size is (height, width); feature_sizes holds one (height, width) per level; sizes and
    aspect_ratios hold one tuple per level (torchvision's AnchorGenerator structure), so level i
    has A = len(sizes[i]) * len(aspect_ratios[i]) anchors per cell. Ratio = height / width.
    Cell anchors are ratio-major, [-w/2, -h/2, w/2, h/2] rounded half to even; a level's stride is
    image_size // feature_size per axis; cell (y, x) is shifted by (x * stride_x, y * stride_y);
    rows are cell-major, row-major over cells (y outer, x inner). Do not modify the inputs.
    """
    raise NotImplementedError("generate_anchors: write your solution here")
