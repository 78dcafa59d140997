"""Copies `logit_scale.exp()` from CLIP's model code, where the parameter stores the logarithm; here
the argument is already the multiplier, so the logits are scaled by e^scale.

Breaks: worked_example
"""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, logit_scale):
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    logits = torch.as_tensor(logit_scale).exp() * image @ text.T
    targets = torch.arange(len(logits))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
