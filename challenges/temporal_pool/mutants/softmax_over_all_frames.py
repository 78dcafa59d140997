"""Zeroes the padding frames but takes the attention softmax over all T frames: each padding frame
still scores 0 and takes a share of the weight, pulling the result towards zero.

Breaks: zero_query_attention_is_mean
"""

import torch


def masked_temporal_pool(features, lengths, mode="mean", query=None):
    b, t, d = features.shape
    if bool((lengths < 1).any()) or bool((lengths > t).any()):
        raise ValueError("lengths must lie in [1, T]")
    if mode not in ("mean", "max", "attention") or (mode == "attention" and query is None):
        raise ValueError("bad mode or missing query")
    valid = (torch.arange(t)[None, :] < lengths[:, None])[..., None]
    clean = torch.where(valid, features, torch.zeros_like(features))
    if mode == "mean":
        return clean.sum(1) / lengths[:, None].to(features.dtype)
    if mode == "max":
        return torch.where(valid, features, torch.full_like(features, float("-inf"))).amax(1)
    return (torch.softmax(clean @ query, 1)[..., None] * clean).sum(1)
