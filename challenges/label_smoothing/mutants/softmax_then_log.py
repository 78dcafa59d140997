"""Takes softmax with a plain exp and then the log: exp(1e4) overflows to inf, inf / inf is NaN, and a
tiny probability underflows to log(0) = -inf.

Breaks: stable_for_large_logits
"""

import torch


def label_smoothing_cross_entropy(logits, target, epsilon):
    e = torch.exp(logits)
    log_probs = torch.log(e / e.sum(dim=1, keepdim=True))
    nll = -log_probs.gather(1, target[:, None]).squeeze(1)
    return ((1 - epsilon) * nll - epsilon * log_probs.mean(dim=1)).mean()
