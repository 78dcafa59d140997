"""Enumerates the cells column-major (x outer, y inner) by using meshgrid's "xy" indexing.

The anchors are all there, but row k no longer belongs to cell k // A in row-major order, so it no
longer lines up with the flattened (H, W) feature map the RPN predicts on.

Breaks: non_square_grid
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
        stride_y, stride_x = image_h // fh, image_w // fw
        xs, ys = torch.meshgrid(torch.arange(fw) * stride_x, torch.arange(fh) * stride_y, indexing="ij")
        shifts = torch.stack([xs, ys, xs, ys], dim=-1).reshape(-1, 4)
        out.append((shifts[:, None, :] + cell[None, :, :]).reshape(-1, 4).float())
    return out
