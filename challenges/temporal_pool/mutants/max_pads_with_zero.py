"""Max-pools after replacing the padding with zeros: when every valid value of a channel is
negative, the padding's 0 wins the maximum.

Breaks: matches_reference
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
        return clean.amax(1)
    scores = (clean @ query).masked_fill(~valid[..., 0], float("-inf"))
    return (torch.softmax(scores, 1)[..., None] * clean).sum(1)
