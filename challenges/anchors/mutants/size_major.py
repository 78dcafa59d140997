"""Orders the cell anchors size-major (size outer, ratio inner): sizes[:, None] * w_ratios[None, :].

The same A boxes come out, in a different order; the order matters because the RPN's output
channel a is trained against cell anchor a.

Breaks: cell_anchor_shapes
"""

import torch


def _cell(sizes, ratios):
    scales = torch.as_tensor(sizes, dtype=torch.float32)
    h_ratios = torch.sqrt(torch.as_tensor(ratios, dtype=torch.float32))
    w_ratios = 1 / h_ratios
    ws = (scales[:, None] * w_ratios[None, :]).reshape(-1)
    hs = (scales[:, None] * h_ratios[None, :]).reshape(-1)
    return (torch.stack([-ws, -hs, ws, hs], dim=1) / 2).round()


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
