"""Applies norm_attn to the media as well as to the text tokens. The layer norm belongs to the
language model's stream; the visual tokens come from the Perceiver Resampler, which normalizes
them itself, and the block's keys and values are the media as given.

Breaks: matches_reference
"""

import torch


def gated_cross_attention_block(x, media, attn, ff, norm_attn, norm_ff, alpha_attn, alpha_ff):
    memory = norm_attn(media)
    h = x + torch.tanh(alpha_attn) * attn(norm_attn(x), memory, memory, need_weights=False)[0]
    return h + torch.tanh(alpha_ff) * ff(norm_ff(h))
