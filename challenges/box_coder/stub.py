"""Faster R-CNN box coder. See README.md in this folder for the full statement."""

import math

import torch


def encode_boxes(gt_boxes: torch.Tensor, proposals: torch.Tensor, weights=(1.0, 1.0, 1.0, 1.0)) -> torch.Tensor:
    """Regression targets (N, 4) ``dx, dy, dw, dh`` taking each proposal (N, 4) to its gt box (N, 4).

    Boxes are ``x1, y1, x2, y2`` with positive width and height; ``weights`` is ``(wx, wy, ww, wh)``.
    The result has the inputs' dtype. Do not modify the inputs.
    """
    raise NotImplementedError("encode_boxes: write your solution here")


def decode_boxes(
    deltas: torch.Tensor, proposals: torch.Tensor, weights=(1.0, 1.0, 1.0, 1.0), clip=math.log(1000 / 16)
) -> torch.Tensor:
    """Boxes (N, 4) ``x1, y1, x2, y2`` from deltas (N, 4) applied to proposals (N, 4): the inverse of encode_boxes.

    ``dw`` and ``dh`` (after dividing by the weights) are clamped from above at ``clip``.
    The result has the inputs' dtype. Do not modify the inputs.
    """
    raise NotImplementedError("decode_boxes: write your solution here")
