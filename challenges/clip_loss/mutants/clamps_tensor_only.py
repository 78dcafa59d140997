"""Clamps the scale at 100 with torch.clamp, as CLIP's training code does, but torch.clamp only
accepts tensors, so a Python float logit_scale raises TypeError.

Breaks: scale_float_or_tensor
"""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, logit_scale):
    scale = torch.clamp(logit_scale, max=100)
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    logits = scale * image @ text.T
    targets = torch.arange(len(logits))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
