"""Readable reference for anchor generation, following torchvision's AnchorGenerator: the
specification every anchors track is graded against, and the example solution of the python track."""

import torch


def cell_anchors(sizes, aspect_ratios) -> torch.Tensor:
    """The (len(aspect_ratios) * len(sizes), 4) anchors of one cell, centred on (0, 0).

    Ratio-major: all sizes of the first ratio, then all sizes of the second, and so on. A ratio is
    height / width, so ``h = sqrt(ratio) * size`` and ``w = size / sqrt(ratio)``: the area stays
    ``size**2``. Each anchor is ``[-w/2, -h/2, w/2, h/2]`` rounded half to even, computed in
    float32 exactly as torchvision does.
    """
    scales = torch.as_tensor(sizes, dtype=torch.float32)
    ratios = torch.as_tensor(aspect_ratios, dtype=torch.float32)
    h_ratios = torch.sqrt(ratios)
    w_ratios = 1 / h_ratios
    ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
    hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
    return (torch.stack([-ws, -hs, ws, hs], dim=1) / 2).round()


def generate_anchors(image_size, feature_sizes, sizes, aspect_ratios) -> list[torch.Tensor]:
    """One float32 (H * W * A, 4) tensor of x1, y1, x2, y2 anchors per pyramid level.

    ``image_size`` is (H, W); ``feature_sizes`` holds one (H, W) per level; ``sizes`` and
    ``aspect_ratios`` hold one tuple per level, so level ``i`` has
    ``A = len(sizes[i]) * len(aspect_ratios[i])`` anchors per cell. The stride of a level is
    ``image_size // feature_size`` on each axis (integer division), and the cell in row ``y``,
    column ``x`` carries the cell anchors shifted by ``(x * stride_x, y * stride_y)``: the cell's
    top-left corner, with no half-stride offset. Rows come row-major (y, then x), then cell anchor.
    """
    image_h, image_w = image_size
    levels = []
    for (feature_h, feature_w), level_sizes, level_ratios in zip(feature_sizes, sizes, aspect_ratios):
        base = cell_anchors(level_sizes, level_ratios)
        stride_y, stride_x = image_h // feature_h, image_w // feature_w
        shift_y, shift_x = torch.meshgrid(
            torch.arange(feature_h) * stride_y, torch.arange(feature_w) * stride_x, indexing="ij"
        )
        shifts = torch.stack([shift_x, shift_y, shift_x, shift_y], dim=-1).reshape(-1, 1, 4)
        levels.append((shifts + base[None, :, :]).reshape(-1, 4).to(torch.float32))
    return levels
