"""Runs the feed-forward on the block's input x instead of on the result of the attention step,
so the MLP never sees the visual information the attention just brought in.

Breaks: matches_reference
"""

import torch


def gated_cross_attention_block(x, media, attn, ff, norm_attn, norm_ff, alpha_attn, alpha_ff):
    h = x + torch.tanh(alpha_attn) * attn(norm_attn(x), media, media, need_weights=False)[0]
    return h + torch.tanh(alpha_ff) * ff(norm_ff(x))
