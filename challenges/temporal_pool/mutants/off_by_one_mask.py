"""Builds the mask with <= instead of <, so frame number `length` — the first padding frame —
is counted as valid.

Breaks: padding_is_ignored
"""

import torch


def masked_temporal_pool(features, lengths, mode="mean", query=None):
    b, t, d = features.shape
    if bool((lengths < 1).any()) or bool((lengths > t).any()):
        raise ValueError("lengths must lie in [1, T]")
    if mode not in ("mean", "max", "attention") or (mode == "attention" and query is None):
        raise ValueError("bad mode or missing query")
    valid = (torch.arange(t)[None, :] <= lengths[:, None])[..., None]
    clean = torch.where(valid, features, torch.zeros_like(features))
    if mode == "mean":
        return clean.sum(1) / lengths[:, None].to(features.dtype)
    if mode == "max":
        return torch.where(valid, features, torch.full_like(features, float("-inf"))).amax(1)
    scores = (clean @ query).masked_fill(~valid[..., 0], float("-inf"))
    return (torch.softmax(scores, 1)[..., None] * clean).sum(1)
