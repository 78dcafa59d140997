"""Builds everything in float64 ("more precise") and returns float64 tensors.

The contract, like torchvision's anchors for a float32 model, is float32.

Breaks: output_contract
"""

import math

import torch


def _cell(sizes, ratios):
    rows = []
    for r in ratios:
        for s in sizes:
            w, h = s / math.sqrt(r), s * math.sqrt(r)
            rows.append([-round(w / 2), -round(h / 2), round(w / 2), round(h / 2)])
    return torch.tensor(rows, dtype=torch.float64).reshape(-1, 4)


def generate_anchors(image_size, feature_sizes, sizes, aspect_ratios):
    image_h, image_w = image_size
    out = []
    for (fh, fw), s, r in zip(feature_sizes, sizes, aspect_ratios):
        cell = _cell(s, r)
        stride_y, stride_x = image_h // fh, image_w // fw
        ys, xs = torch.meshgrid(torch.arange(fh) * stride_y, torch.arange(fw) * stride_x, indexing="ij")
        shifts = torch.stack([xs, ys, xs, ys], dim=-1).reshape(-1, 4)
        out.append((shifts[:, None, :] + cell[None, :, :]).reshape(-1, 4))
    return out
