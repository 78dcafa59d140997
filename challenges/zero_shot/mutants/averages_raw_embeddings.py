"""Averages the raw prompt embeddings and normalizes only at the end, so a prompt whose text
embedding happens to be long outvotes the others.

Breaks: prompt_length_ignored
"""

import torch.nn.functional as F


def build_zero_shot_weights(prompt_embeddings):
    return F.normalize(prompt_embeddings.mean(dim=1), dim=-1)


def zero_shot_logits(image_features, weights, logit_scale=100.0):
    return logit_scale * F.normalize(image_features, dim=-1) @ weights.T
