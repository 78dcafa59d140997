"""Rounds half away from zero (floor(|r| + 0.5) with the sign put back), the school rule, instead of
half to even as torch.round and the fake quantizer do.

Breaks: rounds_half_to_even
"""

import torch


def quantize_per_channel(weight, axis=0):
    axis = axis % weight.dim()
    moved = weight.movedim(axis, 0).reshape(weight.shape[axis], -1)
    amax = moved.abs().amax(dim=1)
    scale = torch.where(amax > 0, amax.float() / 127, torch.ones_like(amax.float()))
    shape = [1] * weight.dim()
    shape[axis] = -1
    q = _half_up(weight / scale.to(weight.dtype).reshape(shape)).clamp(-127, 127).to(torch.int8)
    return q, scale


def _half_up(r):
    return torch.sign(r) * torch.floor(r.abs() + 0.5)

def dequantize(q, scale, axis=0):
    shape = [1] * q.dim()
    shape[axis % q.dim()] = -1
    return q.float() * scale.float().reshape(shape)


def int8_linear(x, q_weight, w_scale, x_scale):
    qx = torch.round(x / x_scale).clamp(-127, 127).to(torch.int32)
    return (qx @ q_weight.to(torch.int32).T).float() * (x_scale * w_scale.float())[None, :]

