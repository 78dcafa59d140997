"""Divides by T for both methods, so "center" keeps only 1/T of the kernel: the inflated network no
longer reproduces the image network on a static clip.

Breaks: static_clip_reproduces_2d
"""



def inflate_conv_weight(weight_2d, time_kernel, method="average"):
    if weight_2d.dim() != 4 or time_kernel < 1:
        raise ValueError("bad weight or time_kernel")
    if method == "average":
        out = weight_2d.unsqueeze(2).repeat(1, 1, time_kernel, 1, 1)
    elif method == "center":
        out = weight_2d.new_zeros(*weight_2d.shape[:2], time_kernel, *weight_2d.shape[2:])
        out[:, :, time_kernel // 2] = weight_2d
    else:
        raise ValueError(f"unknown method {method!r}")
    return out / time_kernel
