"""Spreads epsilon over the K - 1 wrong classes only (true class 1 - epsilon, others epsilon / (K - 1)),
which is a different convention from the statement's and from PyTorch's.

Breaks: worked_example
"""

import torch


def label_smoothing_cross_entropy(logits, target, epsilon):
    n, k = logits.shape
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    q = torch.full_like(log_probs, epsilon / max(k - 1, 1))
    q[torch.arange(n), target] = 1 - epsilon
    return -(q * log_probs).sum(dim=1).mean()
