"""Does not check the lengths: a clip of length 0 silently pools to NaN (0 / 0) or -inf, and a
length above T is treated as T, hiding a bug in the caller's batching.

Breaks: rejects_bad_arguments
"""

import torch


def masked_temporal_pool(features, lengths, mode="mean", query=None):
    b, t, d = features.shape
    if mode not in ("mean", "max", "attention") or (mode == "attention" and query is None):
        raise ValueError("bad mode or missing query")
    valid = (torch.arange(t)[None, :] < lengths[:, None])[..., None]
    clean = torch.where(valid, features, torch.zeros_like(features))
    if mode == "mean":
        return clean.sum(1) / lengths[:, None].clamp(max=t).to(features.dtype)
    if mode == "max":
        return torch.where(valid, features, torch.full_like(features, float("-inf"))).amax(1)
    scores = (clean @ query).masked_fill(~valid[..., 0], float("-inf"))
    return (torch.softmax(scores, 1)[..., None] * clean).sum(1)
