"""Builds the 8-neighbourhood by adding (1, 1) and (-1, -1) but forgets the anti-diagonal
(1, -1) and (-1, 1), so a "/" staircase falls apart.

Breaks: scipy_fixed_values
"""

from collections import deque

import torch


def label_components(mask, connectivity=4):
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if connectivity == 8:
        steps += [(1, 1), (-1, -1)]
    grid = mask.tolist()
    height, width = mask.shape
    labels = [[0] * width for _ in range(height)]
    count = 0
    for r in range(height):
        for c in range(width):
            if grid[r][c] and not labels[r][c]:
                count += 1
                labels[r][c] = count
                queue = deque([(r, c)])
                while queue:
                    y, x = queue.popleft()
                    for dy, dx in steps:
                        ny, nx = y + dy, x + dx
                        if 0 <= ny < height and 0 <= nx < width and grid[ny][nx] and not labels[ny][nx]:
                            labels[ny][nx] = count
                            queue.append((ny, nx))
    return torch.tensor(labels, dtype=torch.int32).reshape(height, width), count
