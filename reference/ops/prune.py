"""Readable reference for structured filter pruning by L1 norm across conv -> batch norm -> conv."""

import copy
import math

import torch
from torch import nn


def filters_to_remove(weight: torch.Tensor, amount: float) -> list[int]:
    """Indices of the floor(amount * out_channels) filters of smallest L1 norm, ties to the lower index."""
    count = math.floor(amount * weight.shape[0])
    norms = weight.detach().abs().reshape(weight.shape[0], -1).sum(dim=1).tolist()
    order = sorted(range(weight.shape[0]), key=lambda c: (norms[c], c))
    return sorted(order[:count])


def prune_filters(conv: nn.Conv2d, bn: nn.BatchNorm2d, next_conv: nn.Conv2d, amount: float):
    """New (conv, bn, next_conv) with the weakest filters of ``conv`` removed everywhere they appear.

    Filter c of ``conv`` feeds channel c of ``bn`` and input channel c of ``next_conv``: all three
    go together. Surviving channels keep their order. The inputs are left untouched.
    """
    if not 0.0 <= amount < 1.0:
        raise ValueError(f"amount must lie in [0, 1), got {amount}")
    if conv.groups != 1 or next_conv.groups != 1:
        raise ValueError("only groups=1 convolutions are supported")
    removed = set(filters_to_remove(conv.weight, amount))
    keep = torch.tensor([c for c in range(conv.out_channels) if c not in removed], dtype=torch.long)

    new_conv, new_bn, new_next = copy.deepcopy(conv), copy.deepcopy(bn), copy.deepcopy(next_conv)
    with torch.no_grad():
        new_conv.weight = nn.Parameter(conv.weight[keep].clone())
        if conv.bias is not None:
            new_conv.bias = nn.Parameter(conv.bias[keep].clone())
        new_conv.out_channels = len(keep)

        if bn.weight is not None:
            new_bn.weight = nn.Parameter(bn.weight[keep].clone())
            new_bn.bias = nn.Parameter(bn.bias[keep].clone())
        if bn.running_mean is not None:
            new_bn.running_mean = bn.running_mean[keep].clone()
            new_bn.running_var = bn.running_var[keep].clone()
        new_bn.num_features = len(keep)

        new_next.weight = nn.Parameter(next_conv.weight[:, keep].clone())
        new_next.in_channels = len(keep)
    return new_conv, new_bn, new_next
