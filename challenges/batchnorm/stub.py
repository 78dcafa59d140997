"""Batch normalization, training and evaluation. See README.md in this folder for the full statement."""

import torch


def batch_norm_2d(x, running_mean, running_var, weight, bias, training, momentum=0.1, eps=1e-5):
    """Returns (y, new_running_mean, new_running_var) for x of shape (N, C) or (N, C, H, W).

    Per-channel statistics over every dim except 1. training=True: normalize with the batch mean and
    biased variance; new = (1 - momentum)·old + momentum·batch, with the unbiased variance.
    training=False: normalize with the running statistics and return them unchanged.
    weight, bias: (C,) tensors or None. y = normalized·weight + bias. Never modify the inputs.
    """
    raise NotImplementedError("batch_norm_2d: write your solution here")
