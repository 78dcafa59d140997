"""Readable reference for Flamingo's gated cross-attention block (Alayrac et al., 2022): the specification."""

import torch
from torch import nn


def gated_cross_attention_block(x: torch.Tensor, media: torch.Tensor, attn: nn.MultiheadAttention, ff: nn.Module,
                                norm_attn: nn.Module, norm_ff: nn.Module, alpha_attn: torch.Tensor,
                                alpha_ff: torch.Tensor) -> torch.Tensor:
    """Let the text tokens ``x`` (B, L, D) attend to visual tokens ``media`` (B, M, D), behind tanh gates.

    ``h = x + tanh(alpha_attn) * attn(norm_attn(x), media, media)[0]``, then
    ``out = h + tanh(alpha_ff) * ff(norm_ff(h))``. With both gates at 0 the block returns x exactly,
    so inserting it into a frozen language model changes nothing until the gates learn to open.
    The modules are only called, never changed (no .eval(), no writes to their weights).
    """
    attended, _ = attn(norm_attn(x), media, media, need_weights=False)
    h = x + torch.tanh(alpha_attn) * attended
    return h + torch.tanh(alpha_ff) * ff(norm_ff(h))
