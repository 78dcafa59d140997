"""Readable reference for cross-entropy with label smoothing: the specification every track is graded against."""

import torch


def label_smoothing_cross_entropy(logits: torch.Tensor, target: torch.Tensor, epsilon: float) -> torch.Tensor:
    """Mean over the batch of the cross-entropy between softmax(logits) and the smoothed target.

    ``logits`` is (N, K) float, ``target`` (N,) int64 class indices, 0 <= epsilon <= 1. The smoothed
    target puts 1 - epsilon + epsilon / K on the true class and epsilon / K on every other class, so
    the loss per sample is (1 - epsilon)·(-log p_target) + epsilon·mean_k(-log p_k).
    Returns a 0-d tensor with the logits' dtype.
    """
    # log p = logits - logsumexp(logits): logsumexp subtracts the row maximum before exponentiating,
    # so logits of magnitude 1e4 neither overflow exp nor turn into log(0).
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    true_class = -log_probs.gather(1, target.long()[:, None]).squeeze(1)
    uniform = -log_probs.mean(dim=1)
    return ((1.0 - epsilon) * true_class + epsilon * uniform).mean()
