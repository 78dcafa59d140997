"""Zeroes the padding by multiplying with a 0/1 mask. That works for finite padding, but 0 * NaN
and 0 * inf are NaN, so a clip padded with NaN pools to NaN.

Breaks: padding_is_ignored
"""

import torch


def masked_temporal_pool(features, lengths, mode="mean", query=None):
    b, t, d = features.shape
    if bool((lengths < 1).any()) or bool((lengths > t).any()):
        raise ValueError("lengths must lie in [1, T]")
    if mode not in ("mean", "max", "attention") or (mode == "attention" and query is None):
        raise ValueError("bad mode or missing query")
    mask = (torch.arange(t)[None, :] < lengths[:, None]).to(features.dtype)[..., None]
    masked = features * mask
    if mode == "mean":
        return masked.sum(1) / lengths[:, None].to(features.dtype)
    if mode == "max":
        return (masked - (1 - mask) * 1e30).amax(1)
    scores = (masked @ query).masked_fill(mask[..., 0] == 0, float("-inf"))
    return (torch.softmax(scores, 1)[..., None] * masked).sum(1)
