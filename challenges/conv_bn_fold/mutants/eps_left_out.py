"""Leaves eps out of the square root: scale = gamma / sqrt(var). Harmless for ordinary
variances, but a channel whose running variance is 1e-8 gets a scale 30x too large (or infinite).

Breaks: tiny_variance
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
    scale = bn_weight / torch.sqrt(bn_var)
    weight = conv_weight * scale.reshape(-1, 1, 1, 1)
    bias = (conv_bias - bn_mean) * scale + bn_bias
    return weight, bias


def fuse_conv_bn(conv, bn):
    if conv.training or bn.training:
        raise ValueError("both modules must be in eval mode")
    if bn.running_mean is None:
        raise ValueError("the batch norm has no running statistics")
    with torch.no_grad():
        weight, bias = fold_conv_bn(conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
    fused = copy.deepcopy(conv)
    fused.weight = nn.Parameter(weight)
    fused.bias = nn.Parameter(bias)
    return fused.eval()
