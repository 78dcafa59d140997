"""Rounds half-widths with math.floor(x + 0.5), i.e. half up, instead of half to even.

Same result everywhere except on exact halves: size 5 with ratio 1 gives [-2, -2, 3, 3] (floor of
-2.5 + 0.5 is -2, of 2.5 + 0.5 is 3), a box that is no longer centred and one pixel too wide;
torch.round gives [-2, -2, 2, 2].

Breaks: rounds_half_to_even
"""

import math

import torch


def _cell(sizes, ratios):
    rows = []
    for r in ratios:
        for s in sizes:
            w, h = s / math.sqrt(r), s * math.sqrt(r)
            rows.append([math.floor(v + 0.5) for v in (-w / 2, -h / 2, w / 2, h / 2)])
    return torch.tensor(rows, dtype=torch.float32).reshape(-1, 4)


def generate_anchors(image_size, feature_sizes, sizes, aspect_ratios):
    image_h, image_w = image_size
    out = []
    for (fh, fw), s, r in zip(feature_sizes, sizes, aspect_ratios):
        cell = _cell(s, r)
        stride_y, stride_x = image_h // fh, image_w // fw
        ys, xs = torch.meshgrid(torch.arange(fh) * stride_y, torch.arange(fw) * stride_x, indexing="ij")
        shifts = torch.stack([xs, ys, xs, ys], dim=-1).reshape(-1, 4)
        out.append((shifts[:, None, :] + cell[None, :, :]).reshape(-1, 4).float())
    return out
