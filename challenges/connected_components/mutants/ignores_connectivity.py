"""Always uses 4-connectivity, whatever the argument says (it only validates it).

Breaks: worked_example
"""

from collections import deque

import torch


def label_components(mask, connectivity=4):
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
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
                    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                        ny, nx = y + dy, x + dx
                        if 0 <= ny < height and 0 <= nx < width and grid[ny][nx] and not labels[ny][nx]:
                            labels[ny][nx] = count
                            queue.append((ny, nx))
    return torch.tensor(labels, dtype=torch.int32).reshape(height, width), count
