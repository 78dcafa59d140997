"""MixUp and CutMix for a batch of images and one-hot targets. See README.md in this folder for the full statement."""

import torch


def mixup(images: torch.Tensor, targets: torch.Tensor, lam: float, perm: torch.Tensor):
    """Return (mixed_images, mixed_targets): lam·x + (1 - lam)·x[perm] for the images and the targets.

    images (N, C, H, W) float, targets (N, K) float, perm (N,) int64 permutation. Do not modify the inputs.
    """
    raise NotImplementedError("mixup: write your solution here")


def cutmix(images: torch.Tensor, targets: torch.Tensor, lam: float, perm: torch.Tensor, center):
    """Return (mixed_images, mixed_targets, lam_used) with the partner's box pasted into every image.

    Box per axis: cut = int(size·sqrt(1 - lam)), rows [cy - cut_h // 2, cy + (cut_h + 1) // 2) and
    columns likewise around cx, clipped to the image; center = (cy, cx).
    lam_used = 1 - box_area / (H·W) (a Python float) mixes the targets. Do not modify the inputs.
    """
    raise NotImplementedError("cutmix: write your solution here")
