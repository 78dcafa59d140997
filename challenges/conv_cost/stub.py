"""Output size, cost and receptive field of convolution layers. See README.md in this folder for the full statement."""


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis (all ints); ValueError when the dilated kernel does not fit in the padded input."""
    raise NotImplementedError("conv_output_size: write your solution here")


def conv_macs(in_channels: int, out_channels: int, kernel, out_size, groups: int = 1) -> int:
    """Multiply-accumulates for one image, bias excluded; kernel and out_size are ints or (h, w) pairs.

    ValueError when groups does not divide both channel counts.
    """
    raise NotImplementedError("conv_macs: write your solution here")


def receptive_field(layers) -> list:
    """For a list of (kernel, stride, dilation) int triples, the list of (receptive field, jump) int pairs after each layer."""
    raise NotImplementedError("receptive_field: write your solution here")
