"""Builds the new batch norm from the affine weights only; its running mean and variance are reset to 0 and 1,\nso in eval mode every kept channel is normalized with the wrong statistics.\n\nBreaks: chain_equals_zeroed_original
"""

import copy
import math

import torch
from torch import nn


def prune_filters(conv, bn, next_conv, amount):
    if not 0.0 <= amount < 1.0:
        raise ValueError("amount must lie in [0, 1)")
    c = conv.out_channels
    count = math.floor(amount * c)
    norms = conv.weight.detach().abs().reshape(c, -1).sum(dim=1)
    order = torch.argsort(norms, stable=True)
    keep = order[count:].sort().values
    new_conv, new_bn, new_next = copy.deepcopy(conv), copy.deepcopy(bn), copy.deepcopy(next_conv)
    with torch.no_grad():
        new_conv.weight = nn.Parameter(conv.weight[keep].clone())
        if conv.bias is not None:
            new_conv.bias = nn.Parameter(conv.bias[keep].clone())
        new_conv.out_channels = len(keep)
        if bn.weight is not None:
            new_bn.weight = nn.Parameter(bn.weight[keep].clone())
            new_bn.bias = nn.Parameter(bn.bias[keep].clone())
        new_bn.running_mean = torch.zeros(len(keep), dtype=bn.running_mean.dtype)
        new_bn.running_var = torch.ones(len(keep), dtype=bn.running_var.dtype)
        new_bn.num_features = len(keep)
        new_next.weight = nn.Parameter(next_conv.weight[:, keep].clone())
        new_next.in_channels = len(keep)
    return new_conv, new_bn, new_next
