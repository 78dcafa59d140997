"""Symmetric per-channel int8 quantization. See README.md in this folder for the full statement."""

import torch


def quantize_per_channel(weight: torch.Tensor, axis: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (q, scale): q int8 with weight's shape, scale float32 of shape (weight.shape[axis],).

    scale = max|w| / 127 per channel (1.0 for an all-zero channel); q = clamp(round_half_even(w / scale), -127, 127).
    Do not modify the inputs.
    """
    raise NotImplementedError("quantize_per_channel: write your solution here")


def dequantize(q: torch.Tensor, scale: torch.Tensor, axis: int = 0) -> torch.Tensor:
    """Return q * scale (scale broadcast along axis) as float32."""
    raise NotImplementedError("dequantize: write your solution here")


def int8_linear(x: torch.Tensor, q_weight: torch.Tensor, w_scale: torch.Tensor, x_scale: float) -> torch.Tensor:
    """Return x @ weight.T as float32 (N, out), computed from int8 x (per-tensor scale x_scale) and int8
    weights (per-output-channel w_scale), accumulating in int32 and rescaling once."""
    raise NotImplementedError("int8_linear: write your solution here")
