"""Gives lam to the partner instead of to the sample itself: (1 - lam)·x + lam·x[perm].

Breaks: mixup_lam_endpoints
"""

import math



def mixup(images, targets, lam, perm):
    return (1 - lam) * images + lam * images[perm], (1 - lam) * targets + lam * targets[perm]


def cutmix(images, targets, lam, perm, center):
    h, w = images.shape[-2:]
    r = math.sqrt(1 - lam)
    ch, cw = int(h * r), int(w * r)
    cy, cx = center
    y1, y2 = min(max(cy - ch // 2, 0), h), min(max(cy + (ch + 1) // 2, 0), h)
    x1, x2 = min(max(cx - cw // 2, 0), w), min(max(cx + (cw + 1) // 2, 0), w)
    out = images.clone()
    out[:, :, y1:y2, x1:x2] = images[perm][:, :, y1:y2, x1:x2]
    lam_used = 1 - (y2 - y1) * (x2 - x1) / (h * w)
    return out, lam_used * targets + (1 - lam_used) * targets[perm], lam_used
