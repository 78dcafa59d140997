"""Multiplies the jump by the layer's own stride before widening the field, so a strided layer's
kernel is charged at the coarser spacing it produces rather than the spacing it reads.

Breaks: receptive_field_matches_gradient
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
    return oh * ow * out_channels * (in_channels // groups) * kh * kw


def receptive_field(layers):
    field, jump, out = 1, 1, []
    for k, s, d in layers:
        jump *= s
        field += d * (k - 1) * jump
        out.append((field, jump))
    return out
