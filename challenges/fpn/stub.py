"""Top-down pathway of a Feature Pyramid Network. See README.md in this folder for the full statement."""

import torch


def fpn_top_down(features, lateral, output):
    """P2…P5 from backbone maps C2…C5 (lists ordered finest first).

    features: list of (N, C_i, H_i, W_i); lateral: list of (weight (D, C_i, 1, 1), bias (D,));
    output: list of (weight (D, D, 3, 3), bias (D,)), used with padding 1.
    Returns a list of (N, D, H_i, W_i) tensors in the order of ``features``. Do not modify the inputs.
    """
    raise NotImplementedError("fpn_top_down: write your solution here")
