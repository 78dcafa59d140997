"""Computes the stride with true division, image_size / feature_size, instead of integer division.

Identical when the map divides the image, but a 100-pixel axis with 7 cells gets stride 14.2857
instead of 14, so anchors drift off the integer grid.

Breaks: strides_use_integer_division
"""

import torch


def _cell(sizes, ratios):
    scales = torch.as_tensor(sizes, dtype=torch.float32)
    h_ratios = torch.sqrt(torch.as_tensor(ratios, dtype=torch.float32))
    w_ratios = 1 / h_ratios
    ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
    hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
    return (torch.stack([-ws, -hs, ws, hs], dim=1) / 2).round()


def generate_anchors(image_size, feature_sizes, sizes, aspect_ratios):
    image_h, image_w = image_size
    out = []
    for (fh, fw), s, r in zip(feature_sizes, sizes, aspect_ratios):
        cell = _cell(s, r)
        stride_y, stride_x = image_h / fh, image_w / fw
        ys, xs = torch.meshgrid(torch.arange(fh) * stride_y, torch.arange(fw) * stride_x, indexing="ij")
        shifts = torch.stack([xs, ys, xs, ys], dim=-1).reshape(-1, 4)
        out.append((shifts[:, None, :] + cell[None, :, :]).reshape(-1, 4).float())
    return out
