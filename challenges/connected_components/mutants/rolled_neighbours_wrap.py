"""Vectorised label propagation that finds neighbours with torch.roll: roll wraps around, so the
left and right borders (and top and bottom) become neighbours.

Breaks: edges_do_not_wrap
"""

import torch


def label_components(mask, connectivity=4):
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    height, width = mask.shape
    big = height * width + 1
    ids = torch.arange(1, height * width + 1).reshape(height, width)
    labels = torch.where(mask, ids, torch.full_like(ids, big))
    shifts = [(1, 0), (-1, 0), (0, 1), (0, -1)]
    if connectivity == 8:
        shifts += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    while True:
        new = labels.clone()
        for dy, dx in shifts:
            new = torch.minimum(new, torch.roll(labels, shifts=(dy, dx), dims=(0, 1)))
        new = torch.where(mask, new, torch.full_like(new, big))
        if torch.equal(new, labels):
            break
        labels = new
    out = torch.zeros(height, width, dtype=torch.int32)
    count = 0
    mapping = {}
    for index, value in enumerate(labels.flatten().tolist()):
        if value == big:
            continue
        if value not in mapping:
            count += 1
            mapping[value] = count
        out.view(-1)[index] = mapping[value]
    return out, count
