"""Ignores groups when counting: every output is charged for all input channels, so a depthwise conv
looks as expensive as a dense one.

Breaks: groups_divide_cost
"""


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        raise ValueError("kernel does not fit")
    return (size + 2 * padding - span) // stride + 1


def conv_macs(in_channels, out_channels, kernel, out_size, groups=1):
    if in_channels % groups or out_channels % groups:
        raise ValueError("groups must divide the channels")
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    oh, ow = (out_size, out_size) if isinstance(out_size, int) else out_size
    return oh * ow * out_channels * in_channels * kh * kw


def receptive_field(layers):
    field, jump, out = 1, 1, []
    for k, s, d in layers:
        field += d * (k - 1) * jump
        jump *= s
        out.append((field, jump))
    return out
