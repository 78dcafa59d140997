"""Stacks the time slices on a new last axis, giving (O, I, kH, kW, T): Conv3d expects
(O, I, T, kH, kW), so time and space are mixed up.

Breaks: output_contract
"""

import torch


def inflate_conv_weight(weight_2d, time_kernel, method="average"):
    if weight_2d.dim() != 4 or time_kernel < 1:
        raise ValueError("bad weight or time_kernel")
    if method == "average":
        return torch.stack([weight_2d / time_kernel] * time_kernel, dim=-1)
    if method == "center":
        slices = [torch.zeros_like(weight_2d) for _ in range(time_kernel)]
        slices[time_kernel // 2] = weight_2d.clone()
        return torch.stack(slices, dim=-1)
    raise ValueError(f"unknown method {method!r}")
