"""Treats every method that is not "center" as "average", so a typo such as "centre" silently
gives the wrong initialisation instead of an error.

Breaks: rejects_bad_arguments
"""



def inflate_conv_weight(weight_2d, time_kernel, method="average"):
    if weight_2d.dim() != 4 or time_kernel < 1:
        raise ValueError("bad weight or time_kernel")
    if method == "center":
        out = weight_2d.new_zeros(*weight_2d.shape[:2], time_kernel, *weight_2d.shape[2:])
        out[:, :, time_kernel // 2] = weight_2d
        return out
    return weight_2d.unsqueeze(2).repeat(1, 1, time_kernel, 1, 1) / time_kernel
