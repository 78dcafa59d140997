"""Takes the last class among equal maxima (argmax of the reversed row), not the first.

Breaks: ties_pick_first_class
"""

import torch


def expected_calibration_error(probs, labels, n_bins=15):
    confidence = probs.max(dim=1).values
    prediction = probs.shape[1] - 1 - probs.flip(1).argmax(dim=1)
    correct = (prediction == labels).to(probs.dtype)
    bins = torch.floor(confidence * n_bins).long().clamp(0, n_bins - 1)
    total = probs.new_zeros(())
    for k in range(n_bins):
        mask = bins == k
        if mask.any():
            total = total + (correct[mask].mean() - confidence[mask].mean()).abs() * mask.sum() / len(probs)
    return total
