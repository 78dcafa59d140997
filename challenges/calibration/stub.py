"""Expected calibration error. See README.md in this folder for the full statement."""

import torch


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15) -> torch.Tensor:
    """Return the ECE of (N, K) probabilities against (N,) int64 labels as a 0-d tensor with probs' dtype.

    confidence = max probability (ties: first class); equal-width bins [k/n_bins, (k+1)/n_bins), 1.0 in the
    last bin; ECE = sum over bins of |accuracy - mean confidence| * count / N. Do not modify the inputs.
    """
    raise NotImplementedError("expected_calibration_error: write your solution here")
