"""Returns the (N,) per-sample losses and leaves the reduction to the caller.

Breaks: output_contract
"""

import torch


def label_smoothing_cross_entropy(logits, target, epsilon):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    nll = -log_probs.gather(1, target[:, None]).squeeze(1)
    return (1 - epsilon) * nll - epsilon * log_probs.mean(dim=1)
