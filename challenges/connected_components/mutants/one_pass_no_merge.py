"""A single raster pass that copies the label of the upper or left neighbour and never records
that two labels meet: a U shape gets two labels for one component.

Breaks: neighbours_share_label
"""

import torch


def label_components(mask, connectivity=4):
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    grid = mask.tolist()
    height, width = mask.shape
    labels = [[0] * width for _ in range(height)]
    previous = [(-1, 0), (0, -1)] + ([(-1, -1), (-1, 1)] if connectivity == 8 else [])
    count = 0
    for r in range(height):
        for c in range(width):
            if not grid[r][c]:
                continue
            for dr, dc in previous:
                nr, nc = r + dr, c + dc
                if 0 <= nr < height and 0 <= nc < width and labels[nr][nc]:
                    labels[r][c] = labels[nr][nc]
                    break
            else:
                count += 1
                labels[r][c] = count
    return torch.tensor(labels, dtype=torch.int32).reshape(height, width), count
