"""Clamps dw and dh on both sides, to [-clip, clip], so a prediction that should shrink a box a lot
is cut off.

Breaks: clip_only_from_above
"""

import math

import torch


def _form(b):
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    return b[:, 0] + 0.5 * w, b[:, 1] + 0.5 * h, w, h


def encode_boxes(gt_boxes, proposals, weights=(1.0, 1.0, 1.0, 1.0)):
    wx, wy, ww, wh = weights
    px, py, pw, ph = _form(proposals)
    gx, gy, gw, gh = _form(gt_boxes)
    return torch.stack((wx * (gx - px) / pw, wy * (gy - py) / ph, ww * torch.log(gw / pw), wh * torch.log(gh / ph)), dim=1)


def decode_boxes(deltas, proposals, weights=(1.0, 1.0, 1.0, 1.0), clip=math.log(1000 / 16)):
    wx, wy, ww, wh = weights
    px, py, pw, ph = _form(proposals)
    dx, dy = deltas[:, 0] / wx, deltas[:, 1] / wy
    dw = torch.clamp(deltas[:, 2] / ww, min=-clip, max=clip)
    dh = torch.clamp(deltas[:, 3] / wh, min=-clip, max=clip)
    cx, cy = dx * pw + px, dy * ph + py
    w, h = torch.exp(dw) * pw, torch.exp(dh) * ph
    return torch.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=1)
