"""Builds a fresh nn.Conv2d with the right hyperparameters and weights but never calls .eval()
on it, so the fused module comes back in training mode.

Breaks: fused_module_contract
"""

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
    if bn.running_mean is None:
        raise ValueError("the batch norm has no running statistics")
    weight, bias = fold_conv_bn(conv.weight.detach(), None if conv.bias is None else conv.bias.detach(),
                                bn.running_mean, bn.running_var,
                                None if bn.weight is None else bn.weight.detach(),
                                None if bn.bias is None else bn.bias.detach(), bn.eps)
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride, padding=conv.padding,
                      dilation=conv.dilation, groups=conv.groups, bias=True, padding_mode=conv.padding_mode,
                      dtype=conv.weight.dtype)
    fused.weight = nn.Parameter(weight)
    fused.bias = nn.Parameter(bias)
    return fused
