"""Skips the L2 normalization and uses raw dot products, so a row's length changes its logits.

Breaks: row_scale_invariant
"""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, logit_scale):
    logits = logit_scale * image_features @ text_features.T
    targets = torch.arange(len(logits))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
