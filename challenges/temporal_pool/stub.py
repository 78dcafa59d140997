"""Pool variable-length clips of frame features. See README.md in this folder for the full statement."""

import torch


def masked_temporal_pool(features: torch.Tensor, lengths: torch.Tensor, mode: str = "mean",
                         query: torch.Tensor | None = None) -> torch.Tensor:
    """Pool frames [0, lengths[b]) of each clip of features (B, T, D) into a (B, D) tensor.

    mode "mean": average of the valid frames; "max": their elementwise maximum; "attention":
    sum of the valid frames weighted by a softmax, over the valid frames, of features @ query
    (query is (D,)). Padding frames (NaN included) never change the result or get gradient.
    Same dtype as features; inputs are not modified. ValueError for a length < 1 or > T, an
    unknown mode, or mode "attention" with query None.
    """
    raise NotImplementedError("masked_temporal_pool: write your solution here")
