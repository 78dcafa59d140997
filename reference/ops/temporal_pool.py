"""Readable reference for pooling variable-length clips of frame features: the specification."""

import torch

MODES = ("mean", "max", "attention")


def masked_temporal_pool(features: torch.Tensor, lengths: torch.Tensor, mode: str = "mean",
                         query: torch.Tensor | None = None) -> torch.Tensor:
    """Pool the valid frames ``[0, lengths[b])`` of each clip of ``features`` (B, T, D) into (B, D).

    "mean" averages the valid frames, "max" takes their elementwise maximum, and "attention" weights
    them by a softmax over the valid frames of ``features @ query`` (``query`` is (D,)). Whatever the
    padding frames hold (NaN and inf included) never reaches the result or its gradient.
    ValueError for a length < 1 or > T, an unknown mode, or "attention" without a query.
    """
    if features.dim() != 3:
        raise ValueError(f"features must be (B, T, D); got shape {tuple(features.shape)}")
    batch, frames, _ = features.shape
    lengths = torch.as_tensor(lengths)
    if lengths.shape != (batch,):
        raise ValueError(f"lengths must have shape ({batch},); got {tuple(lengths.shape)}")
    if bool((lengths < 1).any()) or bool((lengths > frames).any()):
        raise ValueError(f"every length must lie in [1, {frames}]; got {lengths.tolist()}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    valid = torch.arange(frames, device=features.device)[None, :] < lengths[:, None].to(features.device)  # (B, T)
    # Select instead of multiplying by the mask: 0 * NaN is NaN, a selection never reads the padding.
    clean = torch.where(valid[..., None], features, torch.zeros_like(features))
    if mode == "mean":
        return clean.sum(dim=1) / lengths[:, None].to(features.dtype)
    if mode == "max":
        return torch.where(valid[..., None], features, torch.full_like(features, float("-inf"))).amax(dim=1)
    if query is None:
        raise ValueError('mode "attention" needs a query vector of shape (D,)')
    scores = clean @ query.to(features.dtype)  # (B, T)
    scores = torch.where(valid, scores, torch.full_like(scores, float("-inf")))
    weights = torch.softmax(scores, dim=1)
    return (weights[..., None] * clean).sum(dim=1)
