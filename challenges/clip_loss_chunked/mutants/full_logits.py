"""Builds the whole N×N logits matrix and calls cross_entropy on it, ignoring chunk_size: correct
values and gradients, but autograd keeps several N×N matrices alive.

Breaks: memory
"""

import torch
import torch.nn.functional as F


class ChunkedClipLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, logit_scale, chunk_size):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_loss):
        raise NotImplementedError


def clip_loss(image_features, text_features, logit_scale, chunk_size=1024):
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    logits = logit_scale * image @ text.T
    targets = torch.arange(len(logits))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
