"""Readable reference for folding an eval-mode batch norm into the convolution before it: the
specification every track is graded against."""

import copy

import torch
from torch import nn


def fold_conv_bn(conv_weight, conv_bias, bn_mean, bn_var, bn_weight, bn_bias, eps):
    """Weight and bias of one convolution equal to batch norm (eval mode) applied after the conv.

    ``bn(y) = bn_weight * (y - bn_mean) / sqrt(bn_var + eps) + bn_bias`` per output channel, and
    ``y = conv_weight * x + conv_bias`` is linear, so with ``scale = bn_weight / sqrt(bn_var + eps)``:

        weight = conv_weight * scale   (each output channel's filter, i.e. along dim 0)
        bias   = (conv_bias - bn_mean) * scale + bn_bias

    A ``None`` conv_bias means zeros; ``None`` bn_weight / bn_bias (affine=False) mean ones / zeros.
    Returns new tensors with conv_weight's dtype; the arguments are left untouched.
    """
    out_channels = conv_weight.shape[0]
    if conv_bias is None:
        conv_bias = torch.zeros(out_channels, dtype=conv_weight.dtype)
    if bn_weight is None:
        bn_weight = torch.ones(out_channels, dtype=conv_weight.dtype)
    if bn_bias is None:
        bn_bias = torch.zeros(out_channels, dtype=conv_weight.dtype)
    scale = bn_weight / torch.sqrt(bn_var + eps)
    # One factor per output channel, broadcast over (in_channels / groups, kernel_h, kernel_w).
    weight = conv_weight * scale.reshape(-1, *([1] * (conv_weight.dim() - 1)))
    bias = (conv_bias - bn_mean) * scale + bn_bias
    return weight.to(conv_weight.dtype), bias.to(conv_weight.dtype)


def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A new Conv2d, in eval mode and with a bias, whose output equals ``bn(conv(x))`` in eval mode.

    Raises ValueError if either module is in training mode (batch statistics would be used, not the
    running ones) or if the batch norm keeps no running statistics. The inputs are not modified.
    """
    if conv.training or bn.training:
        raise ValueError("fuse_conv_bn folds inference-time batch norm: call .eval() on both modules first")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("the batch norm has no running statistics (track_running_stats=False): nothing to fold")
    with torch.no_grad():
        weight, bias = fold_conv_bn(
            conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps
        )
    # A deep copy keeps every hyperparameter (stride, padding, dilation, groups, padding_mode) and
    # shares no storage with the original; only the parameters are replaced.
    fused = copy.deepcopy(conv)
    fused.weight = nn.Parameter(weight)
    fused.bias = nn.Parameter(bias)
    return fused.eval()
