"""Turns logit_scale and logit_bias into Python numbers with float() "to accept both kinds": the
values are right, but no gradient reaches the learnable scale and bias, so they never train.

Breaks: gradients_match_reference
"""

import torch
import torch.nn.functional as F


def siglip_loss(image_features, text_features, logit_scale, logit_bias):
    img = F.normalize(image_features, dim=-1)
    txt = F.normalize(text_features, dim=-1)
    logits = float(logit_scale) * img @ txt.T + float(logit_bias)
    labels = 2 * torch.eye(len(img), dtype=logits.dtype) - 1
    return -F.logsigmoid(labels * logits).sum() / len(img)
