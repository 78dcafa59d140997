"""Flamingo's gated cross-attention block. See README.md in this folder for the full statement."""

import torch
from torch import nn


def gated_cross_attention_block(x: torch.Tensor, media: torch.Tensor, attn: nn.MultiheadAttention, ff: nn.Module,
                                norm_attn: nn.Module, norm_ff: nn.Module, alpha_attn: torch.Tensor,
                                alpha_ff: torch.Tensor) -> torch.Tensor:
    """Text tokens x (B, L, D) attend to media tokens (B, M, D) behind two tanh gates.

    h = x + tanh(alpha_attn) * attn(norm_attn(x), media, media)[0]    (attn has batch_first=True)
    out = h + tanh(alpha_ff) * ff(norm_ff(h))
    Returns (B, L, D) with x's dtype; equals x exactly when both gates are 0. Gradients reach the
    gates. Do not modify x, media or the modules (no .eval()/.train(), no weight changes).
    """
    raise NotImplementedError("gated_cross_attention_block: write your solution here")
