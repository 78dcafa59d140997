"""Adds the per-pair cross-entropies instead of averaging them, so the loss grows with the batch
size: N indistinguishable pairs give N·ln N instead of ln N.

Breaks: chance_level_is_log_n
"""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, logit_scale):
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    logits = logit_scale * image @ text.T
    targets = torch.arange(len(logits))
    image_to_text = F.cross_entropy(logits, targets, reduction="sum")
    text_to_image = F.cross_entropy(logits.T, targets, reduction="sum")
    return (image_to_text + text_to_image) / 2
