"""Follows torchmetrics' bucketize over n_bins + 1 edges: a confidence of exactly 1.0 lands in an extra
bin of its own instead of the last bin.

Breaks: one_in_last_bin
"""

import torch


def expected_calibration_error(probs, labels, n_bins=15):
    confidence, prediction = probs.max(dim=1)
    correct = (prediction == labels).to(probs.dtype)
    bins = torch.floor(confidence * n_bins).long()
    total = probs.new_zeros(())
    for k in range(n_bins + 1):
        mask = bins == k
        if mask.any():
            total = total + (correct[mask].mean() - confidence[mask].mean()).abs() * mask.sum() / len(probs)
    return total
