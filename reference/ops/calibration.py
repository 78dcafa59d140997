"""Readable reference for the expected calibration error (ECE) of a classifier."""

import torch


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15) -> torch.Tensor:
    """ECE of (N, K) class probabilities against (N,) integer labels, as a 0-d tensor of probs' dtype.

    confidence = max probability, prediction = its class (the first on ties); bin k holds the
    confidences in [k / n_bins, (k + 1) / n_bins), and 1.0 joins the last bin;
    ECE = Σ_k |accuracy_k - mean confidence_k| · count_k / N over the non-empty bins.
    """
    confidence, prediction = probs.max(dim=1)  # torch.max returns the first index among equal maxima
    correct = (prediction == labels).to(probs.dtype)
    bins = torch.floor(confidence * n_bins).long().clamp(0, n_bins - 1)
    total = probs.new_zeros(())
    for k in range(n_bins):
        in_bin = bins == k
        count = int(in_bin.sum())
        if count == 0:
            continue
        gap = (correct[in_bin].mean() - confidence[in_bin].mean()).abs()
        total = total + gap * count / len(probs)
    return total
