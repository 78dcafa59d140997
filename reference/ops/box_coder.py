"""Readable reference for the Faster R-CNN box coder: boxes as offsets from a proposal (anchor), and back."""

import math

import torch


def _centres_and_sizes(boxes: torch.Tensor):
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * widths, boxes[:, 1] + 0.5 * heights, widths, heights


def encode_boxes(gt_boxes: torch.Tensor, proposals: torch.Tensor, weights=(1.0, 1.0, 1.0, 1.0)) -> torch.Tensor:
    """Regression targets (N, 4) ``dx, dy, dw, dh`` that move each proposal onto its ground-truth box.

    ``dx = wx·(gx - px)/pw`` (centres, in units of the proposal's width), ``dw = ww·log(gw/pw)``;
    likewise ``dy`` and ``dh`` with heights. Boxes are ``x1, y1, x2, y2`` of positive area.
    """
    wx, wy, ww, wh = weights
    px, py, pw, ph = _centres_and_sizes(proposals)
    gx, gy, gw, gh = _centres_and_sizes(gt_boxes)
    dx = wx * (gx - px) / pw
    dy = wy * (gy - py) / ph
    dw = ww * torch.log(gw / pw)
    dh = wh * torch.log(gh / ph)
    return torch.stack((dx, dy, dw, dh), dim=1)


def decode_boxes(
    deltas: torch.Tensor, proposals: torch.Tensor, weights=(1.0, 1.0, 1.0, 1.0), clip=math.log(1000 / 16)
) -> torch.Tensor:
    """Boxes (N, 4) ``x1, y1, x2, y2`` obtained by applying ``deltas`` (N, 4) to ``proposals`` (N, 4).

    The inverse of ``encode_boxes``: divide by the weights, clamp ``dw`` and ``dh`` from above at
    ``clip`` (so ``exp`` cannot overflow), then move the centre and rescale the sides.
    """
    wx, wy, ww, wh = weights
    px, py, pw, ph = _centres_and_sizes(proposals)
    dx = deltas[:, 0] / wx
    dy = deltas[:, 1] / wy
    dw = torch.clamp(deltas[:, 2] / ww, max=clip)
    dh = torch.clamp(deltas[:, 3] / wh, max=clip)
    cx = dx * pw + px
    cy = dy * ph + py
    half_w = 0.5 * torch.exp(dw) * pw
    half_h = 0.5 * torch.exp(dh) * ph
    return torch.stack((cx - half_w, cy - half_h, cx + half_w, cy + half_h), dim=1)
