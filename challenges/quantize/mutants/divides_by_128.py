"""Divides by 128 instead of 127 ("int8 goes to 128"), so the channel maximum lands on 127.5
and the scale is off by 127/128.

Breaks: scale_is_channel_max_over_127
"""

import torch


def quantize_per_channel(weight, axis=0):
    axis = axis % weight.dim()
    moved = weight.movedim(axis, 0).reshape(weight.shape[axis], -1)
    amax = moved.abs().amax(dim=1)
    scale = torch.where(amax > 0, amax.float() / 128, torch.ones_like(amax.float()))
    shape = [1] * weight.dim()
    shape[axis] = -1
    q = torch.round(weight / scale.to(weight.dtype).reshape(shape)).clamp(-127, 127).to(torch.int8)
    return q, scale


def dequantize(q, scale, axis=0):
    shape = [1] * q.dim()
    shape[axis % q.dim()] = -1
    return q.float() * scale.float().reshape(shape)


def int8_linear(x, q_weight, w_scale, x_scale):
    qx = torch.round(x / x_scale).clamp(-127, 127).to(torch.int32)
    return (qx @ q_weight.to(torch.int32).T).float() * (x_scale * w_scale.float())[None, :]

