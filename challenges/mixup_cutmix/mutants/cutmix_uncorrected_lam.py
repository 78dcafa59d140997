"""Mixes the targets with the requested lam even when the box was clipped at the border, so the
partner's label gets more weight than the pixels it actually contributed.

Breaks: lam_used_is_kept_fraction
"""

import math



def mixup(images, targets, lam, perm):
    return lam * images + (1 - lam) * images[perm], lam * targets + (1 - lam) * targets[perm]


def cutmix(images, targets, lam, perm, center):
    h, w = images.shape[-2:]
    r = math.sqrt(1 - lam)
    ch, cw = int(h * r), int(w * r)
    cy, cx = center
    y1, y2 = min(max(cy - ch // 2, 0), h), min(max(cy + (ch + 1) // 2, 0), h)
    x1, x2 = min(max(cx - cw // 2, 0), w), min(max(cx + (cw + 1) // 2, 0), w)
    out = images.clone()
    out[:, :, y1:y2, x1:x2] = images[perm][:, :, y1:y2, x1:x2]
    return out, lam * targets + (1 - lam) * targets[perm], float(lam)
