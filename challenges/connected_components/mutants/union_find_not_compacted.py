"""Two-pass union-find that merges equivalent provisional labels but keeps each root's
provisional number: labels come out as 1, 3, 4, ... with gaps, and count is the number of roots.
What it breaks is declared in ../mutants.toml.
"""

import torch


def label_components(mask, connectivity=4):
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    grid = mask.tolist()
    height, width = mask.shape
    parent = [0]

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    labels = [[0] * width for _ in range(height)]
    previous = [(-1, 0), (0, -1)] + ([(-1, -1), (-1, 1)] if connectivity == 8 else [])
    for r in range(height):
        for c in range(width):
            if not grid[r][c]:
                continue
            seen = [labels[r + dr][c + dc] for dr, dc in previous
                    if 0 <= r + dr < height and 0 <= c + dc < width and labels[r + dr][c + dc]]
            if not seen:
                parent.append(len(parent))
                labels[r][c] = len(parent) - 1
                continue
            roots = sorted({find(s) for s in seen})
            labels[r][c] = roots[0]
            for other in roots[1:]:
                parent[other] = roots[0]
    roots = set()
    for r in range(height):
        for c in range(width):
            if labels[r][c]:
                labels[r][c] = find(labels[r][c])
                roots.add(labels[r][c])
    return torch.tensor(labels, dtype=torch.int32).reshape(height, width), len(roots)
