"""Readable reference for CLIP zero-shot classification with prompt ensembling: the specification."""

import torch
import torch.nn.functional as F


def build_zero_shot_weights(prompt_embeddings: torch.Tensor) -> torch.Tensor:
    """Class weights (C, D) from the text embeddings of P prompts per class, (C, P, D).

    Each prompt embedding is L2-normalized, the P unit vectors of a class are averaged, and the
    average is L2-normalized again (CLIP's prompt ensembling).
    """
    if prompt_embeddings.dim() != 3 or prompt_embeddings.shape[1] == 0:
        raise ValueError(f"prompt_embeddings must be (C, P, D) with P >= 1; got shape {tuple(prompt_embeddings.shape)}")
    unit_prompts = F.normalize(prompt_embeddings, dim=-1)
    return F.normalize(unit_prompts.mean(dim=1), dim=-1)


def zero_shot_logits(image_features: torch.Tensor, weights: torch.Tensor, logit_scale: float = 100.0) -> torch.Tensor:
    """Logits (N, C): ``logit_scale`` times the cosine of each image feature (N, D) with each class weight.

    ``weights`` (C, D) comes from build_zero_shot_weights and is already unit-length; the image
    features are L2-normalized here.
    """
    return logit_scale * F.normalize(image_features, dim=-1) @ weights.T
