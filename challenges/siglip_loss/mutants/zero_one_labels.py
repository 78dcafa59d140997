"""Uses labels 1 / 0 (as for binary cross-entropy) inside log sigmoid(labels * logits): every
negative pair then contributes log sigmoid(0) = -log 2 whatever its logit, so nothing pushes
non-matching pairs apart.

Breaks: matches_reference
"""

import torch
import torch.nn.functional as F


def siglip_loss(image_features, text_features, logit_scale, logit_bias):
    img = F.normalize(image_features, dim=-1)
    txt = F.normalize(text_features, dim=-1)
    logits = logit_scale * img @ txt.T + logit_bias
    labels = torch.eye(len(img), dtype=logits.dtype)
    return -F.logsigmoid(labels * logits).sum() / len(img)
