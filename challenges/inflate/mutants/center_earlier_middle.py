"""Picks (T - 1) // 2 as the middle slice: identical for odd T, but for even T the kernel lands in
the earlier of the two middles, not the T // 2 the contract fixes.

Breaks: center_slice_is_t_over_2
"""



def inflate_conv_weight(weight_2d, time_kernel, method="average"):
    if weight_2d.dim() != 4 or time_kernel < 1:
        raise ValueError("bad weight or time_kernel")
    if method == "average":
        return weight_2d.unsqueeze(2).repeat(1, 1, time_kernel, 1, 1) / time_kernel
    if method == "center":
        out = weight_2d.new_zeros(*weight_2d.shape[:2], time_kernel, *weight_2d.shape[2:])
        out[:, :, (time_kernel - 1) // 2] = weight_2d
        return out
    raise ValueError(f"unknown method {method!r}")
