"""Computes the warm-up fraction before deciding which phase the step is in, so warmup_steps = 0
raises ZeroDivisionError.

Breaks: no_warmup
"""

import math


def warmup_cosine_lr(step, total_steps, warmup_steps, base_lr, min_lr=0.0):
    warm = step / warmup_steps
    if step >= total_steps:
        return float(min_lr)
    if warm < 1:
        return base_lr * warm
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
