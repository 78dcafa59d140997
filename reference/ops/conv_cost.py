"""Readable reference for the arithmetic of a convolution layer: output size, multiply-accumulates and
receptive field. The specification every track is graded against."""


def _pair(value):
    """An int means a square (value, value); a pair is (height, width)."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis (all arguments ints).

    floor((size + 2·padding - dilation·(kernel - 1) - 1) / stride) + 1; ValueError when the dilated
    kernel does not fit in the padded input (the result would be below 1).
    """
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        raise ValueError(f"a kernel spanning {span} does not fit in {size} + 2·{padding} padded positions")
    return (size + 2 * padding - span) // stride + 1


def conv_macs(in_channels: int, out_channels: int, kernel, out_size, groups: int = 1) -> int:
    """Multiply-accumulates of one image through a conv layer, bias excluded.

    ``kernel`` and ``out_size`` are ints (square) or (height, width) pairs. Each of the
    out_h·out_w·out_channels outputs sums (in_channels / groups)·k_h·k_w products.
    ValueError when groups does not divide both channel counts.
    """
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
    k_h, k_w = _pair(kernel)
    out_h, out_w = _pair(out_size)
    return out_h * out_w * out_channels * (in_channels // groups) * k_h * k_w


def receptive_field(layers) -> list:
    """(receptive field, jump) after each layer of a stack of (kernel, stride, dilation) layers.

    Before the first layer one output sees one input pixel (receptive field 1) and neighbouring
    outputs are one input pixel apart (jump 1). A layer widens the field by (its dilated span - 1)
    steps of the jump it receives, then multiplies the jump by its stride.
    """
    field, jump = 1, 1
    out = []
    for kernel, stride, dilation in layers:
        field += dilation * (kernel - 1) * jump
        jump *= stride
        out.append((field, jump))
    return out
