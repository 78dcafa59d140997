"""Writes log(sigmoid(x)): once a logit is below about -100 (float32) or -745 (float64) the sigmoid
rounds to 0 and the log gives -inf, so the loss becomes inf.

Breaks: stable_for_large_logits
"""

import torch
import torch.nn.functional as F


def siglip_loss(image_features, text_features, logit_scale, logit_bias):
    img = F.normalize(image_features, dim=-1)
    txt = F.normalize(text_features, dim=-1)
    logits = logit_scale * img @ txt.T + logit_bias
    labels = 2 * torch.eye(len(img), dtype=logits.dtype) - 1
    return -torch.log(torch.sigmoid(labels * logits)).sum() / len(img)
