"""Normalizes along dim=0 (each feature column across the batch) instead of each row, so the
embeddings are not unit vectors and one pair's scale leaks into every other pair's logits.

Breaks: row_scale_invariant
"""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, logit_scale):
    image = F.normalize(image_features, dim=0)
    text = F.normalize(text_features, dim=0)
    logits = logit_scale * image @ text.T
    targets = torch.arange(len(logits))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
