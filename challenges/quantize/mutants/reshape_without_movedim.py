"""Reshapes the weight to (weight.shape[axis], -1) without moving axis to the front, so for axis != 0
each "channel" row mixes elements of several channels and the scales are wrong.

Breaks: axis_is_respected
"""

import torch


def quantize_per_channel(weight, axis=0):
    axis = axis % weight.dim()
    # Reshapes to (channels, -1) without moving the channel dim first, so rows mix channels.
    amax = weight.reshape(weight.shape[axis], -1).abs().amax(dim=1)
    scale = torch.where(amax > 0, amax.float() / 127, torch.ones_like(amax.float()))
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

