"""Uses the probability of the true label as the confidence, instead of the top probability.

Breaks: matches_torchmetrics
"""

import torch


def expected_calibration_error(probs, labels, n_bins=15):
    prediction = probs.argmax(dim=1)
    confidence = probs.gather(1, labels[:, None])[:, 0]
    correct = (prediction == labels).to(probs.dtype)
    bins = torch.floor(confidence * n_bins).long().clamp(0, n_bins - 1)
    total = probs.new_zeros(())
    for k in range(n_bins):
        mask = bins == k
        if mask.any():
            total = total + (correct[mask].mean() - confidence[mask].mean()).abs() * mask.sum() / len(probs)
    return total
