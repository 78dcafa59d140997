"""Treats logit_scale as a temperature and divides by it: logits of size 0.01 instead of 100, so
the softmax over classes is almost uniform.

Breaks: logits_match_reference
"""

import torch.nn.functional as F


def build_zero_shot_weights(prompt_embeddings):
    return F.normalize(F.normalize(prompt_embeddings, dim=-1).mean(dim=1), dim=-1)


def zero_shot_logits(image_features, weights, logit_scale=100.0):
    return F.normalize(image_features, dim=-1) @ weights.T / logit_scale
