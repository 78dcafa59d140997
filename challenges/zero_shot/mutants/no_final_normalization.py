"""Normalizes each prompt and averages, but stops there: the mean of unit vectors is shorter than
1 (more so when prompts disagree), so classes with diverse prompts get smaller logits.

Breaks: weights_are_unit_rows
"""

import torch.nn.functional as F


def build_zero_shot_weights(prompt_embeddings):
    return F.normalize(prompt_embeddings, dim=-1).mean(dim=1)


def zero_shot_logits(image_features, weights, logit_scale=100.0):
    return logit_scale * F.normalize(image_features, dim=-1) @ weights.T
