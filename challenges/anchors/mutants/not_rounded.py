"""Skips the rounding of the cell anchors: keeps [-w/2, -h/2, w/2, h/2] as computed.

torchvision rounds the cell anchors to whole pixels; an unrounded sqrt(2) ratio gives 22.627 where
the reference has 23.

Breaks: whole_numbers
"""

import torch


def _cell(sizes, ratios):
    scales = torch.as_tensor(sizes, dtype=torch.float32)
    h_ratios = torch.sqrt(torch.as_tensor(ratios, dtype=torch.float32))
    w_ratios = 1 / h_ratios
    ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
    hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
    return torch.stack([-ws, -hs, ws, hs], dim=1) / 2


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
