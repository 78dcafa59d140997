"""Readable reference for connected-component labelling of a binary mask (flood fill)."""

from collections import deque

import torch

NEIGHBOURS = {
    4: ((-1, 0), (1, 0), (0, -1), (0, 1)),
    8: ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)),
}


def label_components(mask: torch.Tensor, connectivity: int = 4) -> tuple[torch.Tensor, int]:
    """Label the connected components of a boolean (H, W) mask.

    Returns ``(labels, count)``: ``labels`` is int32 (H, W) with 0 on background and 1..count on the
    components, numbered in raster order (row by row, left to right) of each component's first
    pixel; ``count`` is a Python int. ``connectivity`` is 4 (edges) or 8 (edges and corners);
    anything else raises ValueError. The same labelling as ``scipy.ndimage.label``.
    """
    if connectivity not in NEIGHBOURS:
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    steps = NEIGHBOURS[connectivity]
    height, width = mask.shape
    grid = mask.to(torch.bool).tolist()
    labels = [[0] * width for _ in range(height)]
    count = 0
    for row in range(height):
        for col in range(width):
            if not grid[row][col] or labels[row][col]:
                continue
            # A new component starts at the first unlabelled foreground pixel in raster order.
            count += 1
            labels[row][col] = count
            queue = deque([(row, col)])
            while queue:
                r, c = queue.popleft()
                for dr, dc in steps:
                    nr, nc = r + dr, c + dc
                    if 0 <= nr < height and 0 <= nc < width and grid[nr][nc] and not labels[nr][nc]:
                        labels[nr][nc] = count
                        queue.append((nr, nc))
    return torch.tensor(labels, dtype=torch.int32).reshape(height, width), count
