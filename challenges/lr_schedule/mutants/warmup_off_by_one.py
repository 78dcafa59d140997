"""Counts warm-up steps from 1: uses (step + 1) / warmup_steps, so step 0 already trains at base_lr / warmup_steps
and the peak is reached one step early.

Breaks: starts_at_zero
"""

import math


def warmup_cosine_lr(step, total_steps, warmup_steps, base_lr, min_lr=0.0):
    if step >= total_steps:
        return float(min_lr)
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
