"""Uses right-closed bins (k/n, (k+1)/n] via ceil(conf·n) - 1, so a confidence exactly on an edge falls
into the bin below.

Breaks: bins_left_closed
"""

import torch


def expected_calibration_error(probs, labels, n_bins=15):
    confidence, prediction = probs.max(dim=1)
    correct = (prediction == labels).to(probs.dtype)
    bins = (torch.ceil(confidence * n_bins).long() - 1).clamp(0, n_bins - 1)
    total = probs.new_zeros(())
    for k in range(n_bins):
        mask = bins == k
        if mask.any():
            total = total + (correct[mask].mean() - confidence[mask].mean()).abs() * mask.sum() / len(probs)
    return total
