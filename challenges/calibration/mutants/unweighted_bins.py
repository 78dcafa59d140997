"""Averages the per-bin gaps over the non-empty bins, ignoring how many samples each bin holds.

Breaks: matches_reference
"""

import torch


def expected_calibration_error(probs, labels, n_bins=15):
    confidence, prediction = probs.max(dim=1)
    correct = (prediction == labels).to(probs.dtype)
    bins = torch.floor(confidence * n_bins).long().clamp(0, n_bins - 1)
    total = probs.new_zeros(())
    used = len(torch.unique(bins))
    for k in range(n_bins):
        mask = bins == k
        if mask.any():
            total = total + (correct[mask].mean() - confidence[mask].mean()).abs() / used
    return total
