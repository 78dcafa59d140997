"""Perceptual near-duplicate detection with dHash. See README.md in this folder for the full statement."""

import torch


def dhash(image: torch.Tensor, hash_size: int = 8) -> int:
    """Return the difference hash of a grayscale (H, W) float image as a Python int of hash_size² bits.

    Area-average to (hash_size, hash_size + 1) (adaptive_avg_pool2d cells); bit = right cell strictly
    brighter than left cell; bits row-major, first bit most significant. Do not modify the input.
    """
    raise NotImplementedError("dhash: write your solution here")


def near_duplicates(hashes: list[int], max_distance: int) -> list[tuple[int, int]]:
    """Return every pair (i, j) with i < j whose hashes differ in at most max_distance bits, sorted."""
    raise NotImplementedError("near_duplicates: write your solution here")
