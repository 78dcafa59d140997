"""Uses class 0 as every row's target (torch.zeros instead of torch.arange), as if each image's
match were the first caption in the batch, so the loss depends on the order of the pairs.

Breaks: pair_order_invariant
"""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, logit_scale):
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    logits = logit_scale * image @ text.T
    targets = torch.zeros(len(logits), dtype=torch.long)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
