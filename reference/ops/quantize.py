"""Readable reference for symmetric per-channel int8 quantization and an int8 linear layer."""

import torch

QMAX = 127


def quantize_per_channel(weight: torch.Tensor, axis: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 quantization of ``weight`` with one scale per slice along ``axis``.

    scale[c] = max |weight[c]| / 127 in float32 (1.0 for an all-zero channel);
    q = clamp(round_half_even(weight / scale), -127, 127) as int8.
    """
    axis = axis % weight.dim()
    moved = weight.movedim(axis, 0)
    amax = moved.reshape(moved.shape[0], -1).abs().amax(dim=1) if moved.numel() else moved.new_zeros(moved.shape[0])
    scale = (amax.to(torch.float32) / QMAX)
    scale = torch.where(amax > 0, scale, torch.ones_like(scale))
    shape = [1] * weight.dim()
    shape[axis] = -1
    ratio = weight / scale.to(weight.dtype).reshape(shape)
    q = torch.round(ratio).clamp(-QMAX, QMAX).to(torch.int8)  # torch.round rounds half to even
    return q, scale


def dequantize(q: torch.Tensor, scale: torch.Tensor, axis: int = 0) -> torch.Tensor:
    """float32 values q * scale, with ``scale`` broadcast along ``axis``."""
    shape = [1] * q.dim()
    shape[axis % q.dim()] = -1
    return q.to(torch.float32) * scale.to(torch.float32).reshape(shape)


def int8_linear(x: torch.Tensor, q_weight: torch.Tensor, w_scale: torch.Tensor, x_scale: float) -> torch.Tensor:
    """y ≈ x @ weight.T computed in integers.

    x (N, in) is quantized per tensor with the given (calibrated) ``x_scale``:
    qx = clamp(round_half_even(x / x_scale), -127, 127); the products are summed in int32 and the
    (N, out) sum is rescaled once by x_scale * w_scale[o]. Returns float32.
    """
    qx = torch.round(x / x_scale).clamp(-QMAX, QMAX).to(torch.int32)
    accumulator = qx @ q_weight.to(torch.int32).T  # int32: 127 * 127 * in never overflows for in < 133 000
    return accumulator.to(torch.float32) * (float(x_scale) * w_scale.to(torch.float32))[None, :]
