"""Readable reference for difference hashing (dHash) and near-duplicate search by Hamming distance."""

import math

import torch


def area_average(image: torch.Tensor, out_h: int, out_w: int) -> torch.Tensor:
    """Shrink (H, W) to (out_h, out_w): cell (i, j) is the mean of rows floor(i·H/out_h) up to
    ceil((i+1)·H/out_h) - 1 and the same for columns — torch.nn.functional.adaptive_avg_pool2d."""
    height, width = image.shape
    out = torch.empty(out_h, out_w, dtype=image.dtype)
    for i in range(out_h):
        r0, r1 = (i * height) // out_h, math.ceil((i + 1) * height / out_h)
        for j in range(out_w):
            c0, c1 = (j * width) // out_w, math.ceil((j + 1) * width / out_w)
            out[i, j] = image[r0:r1, c0:c1].sum() / ((r1 - r0) * (c1 - c0))
    return out


def dhash(image: torch.Tensor, hash_size: int = 8) -> int:
    """Difference hash of a grayscale (H, W) image: hash_size² bits, first bit most significant.

    Bit (i, j) is 1 when cell (i, j + 1) of the (hash_size, hash_size + 1) area average is
    strictly brighter than cell (i, j); bits are read row by row.
    """
    small = area_average(image, hash_size, hash_size + 1)
    bits = (small[:, 1:] > small[:, :-1]).flatten().tolist()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


def hamming(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


def near_duplicates(hashes: list[int], max_distance: int) -> list[tuple[int, int]]:
    """All index pairs (i, j), i < j, whose hashes differ in at most max_distance bits, sorted."""
    return [
        (i, j)
        for i in range(len(hashes))
        for j in range(i + 1, len(hashes))
        if hamming(hashes[i], hashes[j]) <= max_distance
    ]
