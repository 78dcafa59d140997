"""Folding an eval-mode batch norm into the convolution before it. See README.md in this folder for the statement."""

import torch
from torch import nn


def fold_conv_bn(conv_weight, conv_bias, bn_mean, bn_var, bn_weight, bn_bias, eps):
    """(weight, bias) of one convolution equal to batch norm (eval mode) applied after the conv.

    conv_weight is (C_out, C_in / groups, kH, kW); the other tensors are (C_out,). conv_bias None
    means zeros; bn_weight / bn_bias None (affine=False) mean ones / zeros. Return new tensors with
    conv_weight's dtype. Do not modify the inputs.
    """
    raise NotImplementedError("fold_conv_bn: write your solution here")


def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A new nn.Conv2d, in eval mode and with a bias, whose output equals bn(conv(x)) in eval mode.

    Keep every hyperparameter of conv. Raise ValueError if conv or bn is in training mode or bn has
    no running statistics. Do not modify conv or bn.
    """
    raise NotImplementedError("fuse_conv_bn: write your solution here")
