"""Keeps pairs whose distance is strictly below max_distance, dropping those exactly at it.

Breaks: threshold_inclusive
"""

import torch.nn.functional as F


def dhash(image, hash_size=8):
    small = F.adaptive_avg_pool2d(image[None, None], (hash_size, hash_size + 1))[0, 0]
    bits = (small[:, 1:] > small[:, :-1]).flatten().tolist()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


def near_duplicates(hashes, max_distance):
    pairs = []
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            if bin(hashes[i] ^ hashes[j]).count("1") < max_distance:
                pairs.append((i, j))
    return pairs
