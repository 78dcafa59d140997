"""Sums the per-sample losses instead of averaging them, so the loss (and the gradient) grows with the batch size.

Breaks: batch_mean
"""

import torch


def label_smoothing_cross_entropy(logits, target, epsilon):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    nll = -log_probs.gather(1, target[:, None]).squeeze(1)
    return ((1 - epsilon) * nll - epsilon * log_probs.mean(dim=1)).sum()
