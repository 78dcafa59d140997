"""Shrinks with bilinear interpolation, as a generic resize would, instead of averaging each cell's area.

Breaks: cells_are_adaptive_average
"""

import torch.nn.functional as F


def dhash(image, hash_size=8):
    small = F.interpolate(image[None, None], size=(hash_size, hash_size + 1), mode="bilinear", align_corners=False)[0, 0]
    bits = (small[:, 1:] > small[:, :-1]).flatten().tolist()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


def near_duplicates(hashes, max_distance):
    pairs = []
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            if bin(hashes[i] ^ hashes[j]).count("1") <= max_distance:
                pairs.append((i, j))
    return pairs
