"""Treats a batch norm without running statistics as mean 0 and variance 1 instead of refusing
it, so it returns a module that matches no eval-mode output.

Breaks: refuses_missing_running_stats
"""

import copy

import torch
from torch import nn


def fold_conv_bn(conv_weight, conv_bias, bn_mean, bn_var, bn_weight, bn_bias, eps):
    n = conv_weight.shape[0]
    if conv_bias is None:
        conv_bias = torch.zeros(n, dtype=conv_weight.dtype)
    if bn_weight is None:
        bn_weight = torch.ones(n, dtype=conv_weight.dtype)
    if bn_bias is None:
        bn_bias = torch.zeros(n, dtype=conv_weight.dtype)
    scale = bn_weight / torch.sqrt(bn_var + eps)
    weight = conv_weight * scale.reshape(-1, 1, 1, 1)
    bias = (conv_bias - bn_mean) * scale + bn_bias
    return weight, bias


def fuse_conv_bn(conv, bn):
    if conv.training or bn.training:
        raise ValueError("both modules must be in eval mode")
    n = conv.out_channels
    mean = bn.running_mean if bn.running_mean is not None else torch.zeros(n, dtype=conv.weight.dtype)
    var = bn.running_var if bn.running_var is not None else torch.ones(n, dtype=conv.weight.dtype)
    with torch.no_grad():
        weight, bias = fold_conv_bn(conv.weight, conv.bias, mean, var, bn.weight, bn.bias, bn.eps)
    fused = copy.deepcopy(conv)
    fused.weight = nn.Parameter(weight)
    fused.bias = nn.Parameter(bias)
    return fused.eval()
