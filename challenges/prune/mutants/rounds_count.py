"""Removes round(amount * C) filters instead of floor(amount * C).\n\nBreaks: count_is_floor
"""

import copy

import torch
from torch import nn


def prune_filters(conv, bn, next_conv, amount):
    if not 0.0 <= amount < 1.0:
        raise ValueError("amount must lie in [0, 1)")
    c = conv.out_channels
    count = min(round(amount * c), c - 1)
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
        new_bn.running_mean = bn.running_mean[keep].clone()
        new_bn.running_var = bn.running_var[keep].clone()
        new_bn.num_features = len(keep)
        new_next.weight = nn.Parameter(next_conv.weight[:, keep].clone())
        new_next.in_channels = len(keep)
    return new_conv, new_bn, new_next
