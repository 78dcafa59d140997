"""Repeats the 2D kernel over time for "average" but forgets to divide by T, so a static clip's
response is T times the image model's: every later layer sees activations T times too large.

Breaks: static_clip_reproduces_2d
"""



def inflate_conv_weight(weight_2d, time_kernel, method="average"):
    if weight_2d.dim() != 4 or time_kernel < 1:
        raise ValueError("bad weight or time_kernel")
    if method == "average":
        return weight_2d.unsqueeze(2).repeat(1, 1, time_kernel, 1, 1)
    if method == "center":
        out = weight_2d.new_zeros(*weight_2d.shape[:2], time_kernel, *weight_2d.shape[2:])
        out[:, :, time_kernel // 2] = weight_2d
        return out
    raise ValueError(f"unknown method {method!r}")
