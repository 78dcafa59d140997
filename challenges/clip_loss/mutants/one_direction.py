"""Computes only the image->text direction: each image picks its caption, but no caption ever has
to pick its image, so swapping the modalities changes the loss.

Breaks: symmetric_in_modalities
"""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, logit_scale):
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    logits = logit_scale * image @ text.T
    return F.cross_entropy(logits, torch.arange(len(logits)))
