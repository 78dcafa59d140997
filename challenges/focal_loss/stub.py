"""Sigmoid focal loss. See README.md in this folder for the full statement."""

import torch


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """Focal loss of logits ``inputs`` against ``targets`` (same shape, values in [0, 1]).

    alpha in [0, 1], or -1 to disable the alpha weighting; reduction is "none", "mean" or "sum" (else ValueError).
    The result has the inputs' dtype. Do not modify the inputs.
    """
    raise NotImplementedError("sigmoid_focal_loss: write your solution here")
