"""Decays base_lr to zero and only then adds min_lr on top: min_lr + base_lr * (1 + cos) / 2, so the
peak is base_lr + min_lr and the floor is reached correctly only when min_lr is 0.

Breaks: peak_at_warmup_end
"""

import math


def warmup_cosine_lr(step, total_steps, warmup_steps, base_lr, min_lr=0.0):
    if step >= total_steps:
        return float(min_lr)
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + base_lr * 0.5 * (1 + math.cos(math.pi * progress))
