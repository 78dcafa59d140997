"""CLIP zero-shot classification with prompt ensembling. See README.md in this folder for the full statement."""

import torch


def build_zero_shot_weights(prompt_embeddings: torch.Tensor) -> torch.Tensor:
    """Class weights (C, D) from text embeddings (C, P, D) of P prompts per class.

    L2-normalize each prompt embedding, average the P prompts of each class, L2-normalize the
    average. Same dtype as the input; the input is not modified.
    """
    raise NotImplementedError("build_zero_shot_weights: write your solution here")


def zero_shot_logits(image_features: torch.Tensor, weights: torch.Tensor, logit_scale: float = 100.0) -> torch.Tensor:
    """Logits (N, C) = logit_scale * normalize(image_features) @ weights.T.

    image_features is (N, D), weights is (C, D) from build_zero_shot_weights (already unit rows).
    Same dtype as image_features; inputs are not modified.
    """
    raise NotImplementedError("zero_shot_logits: write your solution here")
