"""Takes logsumexp over dim 0 (the batch) instead of dim 1 (the classes), so each "distribution" mixes
different samples and a per-row shift of the logits changes the loss.

Breaks: row_shift_invariant
"""

import torch


def label_smoothing_cross_entropy(logits, target, epsilon):
    log_probs = logits - torch.logsumexp(logits, dim=0, keepdim=True)
    nll = -log_probs.gather(1, target[:, None]).squeeze(1)
    return ((1 - epsilon) * nll - epsilon * log_probs.mean(dim=1)).mean()
