"""Inflate a 2D convolution kernel into a 3D one. See README.md in this folder for the full statement."""

import torch


def inflate_conv_weight(weight_2d: torch.Tensor, time_kernel: int, method: str = "average") -> torch.Tensor:
    """Conv2d weight (O, I, kH, kW) -> Conv3d weight (O, I, T, kH, kW), T = time_kernel.

    method "average": the 2D kernel in every time slice, divided by T.
    method "center": the 2D kernel in slice T // 2, zeros in the other slices.
    Same dtype as weight_2d; weight_2d is not modified.
    ValueError for a weight that is not 4-D, time_kernel < 1, or an unknown method.
    """
    raise NotImplementedError("inflate_conv_weight: write your solution here")
