"""Reads the kernel taps next to each other even when dilation is above 1 (it only uses dilation
for the output size), so dilated layers see a smaller neighbourhood.

Breaks: matches_conv2d
"""

import torch
import torch.nn.functional as F


def _pair(value):
    """An int means the same value for height and width; a pair is (height, width)."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation of x (N, C, H, W) with weight (O, C / groups, kH, kW), plus bias (O,) if given.

    stride, padding (zeros) and dilation are ints or (height, width) pairs. Returns (N, O, H_out, W_out)
    in x's dtype, differentiable with respect to x, weight and bias.
    """
    n, channels, height, width = x.shape
    out_channels, group_channels, k_h, k_w = weight.shape
    (s_h, s_w), (p_h, p_w), (d_h, d_w) = _pair(stride), _pair(padding), _pair(dilation)
    out_h = (height + 2 * p_h - d_h * (k_h - 1) - 1) // s_h + 1
    out_w = (width + 2 * p_w - d_w * (k_w - 1) - 1) // s_w + 1
    padded = F.pad(x, (p_w, p_w, p_h, p_h))

    # im2col: for every kernel tap (i, j), the input pixels it meets at every output position form
    # a strided slice of the padded input. Stacking the kH·kW slices gives the column matrix.
    taps = []
    for i in range(k_h):
        for j in range(k_w):
            top, left = i, j
            taps.append(padded[:, :, top:top + s_h * (out_h - 1) + 1:s_h, left:left + s_w * (out_w - 1) + 1:s_w])
    columns = torch.stack(taps, dim=2)  # (N, C, kH·kW, H_out, W_out)

    # Each group's output channels see only that group's input channels: one batched matrix product
    # of (O/g, C/g·kH·kW) weights with (C/g·kH·kW, H_out·W_out) columns per group.
    columns = columns.reshape(n, groups, group_channels * k_h * k_w, out_h * out_w)
    kernels = weight.reshape(groups, out_channels // groups, group_channels * k_h * k_w)
    out = torch.matmul(kernels.unsqueeze(0), columns).reshape(n, out_channels, out_h, out_w)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
