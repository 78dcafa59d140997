"""Skips the L2 normalization: logits become raw dot products, so the loss depends on feature
lengths and the model can lower it by inflating its embeddings.

Breaks: feature_length_ignored
"""

import torch
import torch.nn.functional as F


def siglip_loss(image_features, text_features, logit_scale, logit_bias):
    logits = logit_scale * image_features @ text_features.T + logit_bias
    labels = 2 * torch.eye(len(image_features), dtype=logits.dtype) - 1
    return -F.logsigmoid(labels * logits).sum() / len(image_features)
