"""Measures cosine progress from step 0 instead of from the end of warm-up: progress = step / total_steps, so the
decay has already started when warm-up ends and the rate drops abruptly below base_lr.

Breaks: peak_at_warmup_end
"""

import math


def warmup_cosine_lr(step, total_steps, warmup_steps, base_lr, min_lr=0.0):
    if step >= total_steps:
        return float(min_lr)
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    progress = step / total_steps
    return min_lr + (base_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
