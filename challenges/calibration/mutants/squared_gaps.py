"""Squares the per-bin gaps (the L2 calibration error without the root) instead of taking |gap|.

Breaks: matches_reference
"""

import torch


def expected_calibration_error(probs, labels, n_bins=15):
    confidence, prediction = probs.max(dim=1)
    correct = (prediction == labels).to(probs.dtype)
    bins = torch.floor(confidence * n_bins).long().clamp(0, n_bins - 1)
    total = probs.new_zeros(())
    for k in range(n_bins):
        mask = bins == k
        if mask.any():
            total = total + (correct[mask].mean() - confidence[mask].mean()).pow(2) * mask.sum() / len(probs)
    return total
