"""Readable reference for MixUp and CutMix on a batch: the specification every track is graded against."""

import math

import torch


def mixup(images: torch.Tensor, targets: torch.Tensor, lam: float, perm: torch.Tensor):
    """Blend every sample with its partner ``perm[i]``: lam·own + (1 - lam)·partner, for images and targets alike.

    images (N, C, H, W), targets (N, K), perm (N,) int64 permutation. Returns (images, targets),
    new tensors with the inputs' dtypes.
    """
    mixed_images = lam * images + (1.0 - lam) * images[perm]
    mixed_targets = lam * targets + (1.0 - lam) * targets[perm]
    return mixed_images, mixed_targets


def cutmix_box(height: int, width: int, lam: float, center) -> tuple:
    """(y_low, y_high, x_low, x_high) of the pasted box, exactly as timm's rand_bbox places it."""
    ratio = math.sqrt(1.0 - lam)
    cut_h, cut_w = int(height * ratio), int(width * ratio)
    cy, cx = center
    y_low = min(max(cy - cut_h // 2, 0), height)
    y_high = min(max(cy + (cut_h + 1) // 2, 0), height)
    x_low = min(max(cx - cut_w // 2, 0), width)
    x_high = min(max(cx + (cut_w + 1) // 2, 0), width)
    return y_low, y_high, x_low, x_high


def cutmix(images: torch.Tensor, targets: torch.Tensor, lam: float, perm: torch.Tensor, center):
    """Paste the box of the partner image ``perm[i]`` into every image i; mix targets by the kept area.

    The box is cut_h × cut_w with cut = int(size·sqrt(1 - lam)) per axis, centred at center = (cy, cx)
    as [c - cut // 2, c + (cut + 1) // 2) and clipped to the image. Returns (images, targets, lam_used)
    with lam_used = 1 - box_area / (H·W), a Python float. The inputs are not modified.
    """
    height, width = images.shape[-2:]
    y_low, y_high, x_low, x_high = cutmix_box(height, width, lam, center)
    mixed = images.clone()
    mixed[:, :, y_low:y_high, x_low:x_high] = images[perm][:, :, y_low:y_high, x_low:x_high]
    lam_used = 1.0 - (y_high - y_low) * (x_high - x_low) / (height * width)
    mixed_targets = lam_used * targets + (1.0 - lam_used) * targets[perm]
    return mixed, mixed_targets, lam_used
