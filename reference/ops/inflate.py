"""Readable reference for inflating a 2D convolution kernel into a 3D one (I3D, Carreira and
Zisserman, CVPR 2017): the specification."""

import torch

METHODS = ("average", "center")


def inflate_conv_weight(weight_2d: torch.Tensor, time_kernel: int, method: str = "average") -> torch.Tensor:
    """Turn a Conv2d weight (O, I, kH, kW) into a Conv3d weight (O, I, T, kH, kW), T = ``time_kernel``.

    "average": the 2D kernel repeated in every time slice and divided by T.
    "center": the 2D kernel in slice T // 2 (the later of the two middles when T is even), zeros elsewhere.
    Either way the slices sum to the 2D kernel, so on a clip whose frames are all equal the 3D
    convolution gives the 2D convolution of each frame. A new tensor with weight_2d's dtype.
    """
    if weight_2d.dim() != 4:
        raise ValueError(f"weight_2d must be (O, I, kH, kW); got shape {tuple(weight_2d.shape)}")
    if time_kernel < 1:
        raise ValueError(f"time_kernel must be at least 1; got {time_kernel}")
    out_channels, in_channels, kh, kw = weight_2d.shape
    if method == "average":
        return weight_2d.unsqueeze(2).repeat(1, 1, time_kernel, 1, 1) / time_kernel
    if method == "center":
        weight_3d = weight_2d.new_zeros(out_channels, in_channels, time_kernel, kh, kw)
        weight_3d[:, :, time_kernel // 2] = weight_2d
        return weight_3d
    raise ValueError(f"method must be one of {METHODS}; got {method!r}")
