"""Writes the softmax by hand as log(exp(logits).sum()) without subtracting the maximum: at
logit_scale 100, exp(100) overflows float32 to inf and the loss becomes inf or NaN.

Breaks: finite_at_large_scale
"""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, logit_scale):
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    logits = logit_scale * image @ text.T
    diagonal = logits.diagonal()
    image_to_text = (torch.log(torch.exp(logits).sum(dim=1)) - diagonal).mean()
    text_to_image = (torch.log(torch.exp(logits).sum(dim=0)) - diagonal).mean()
    return (image_to_text + text_to_image) / 2
