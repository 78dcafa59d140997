"""Readable reference for a linear warm-up followed by cosine decay: the specification every track is graded against."""

import math


def warmup_cosine_lr(step: int, total_steps: int, warmup_steps: int, base_lr: float, min_lr: float = 0.0) -> float:
    """Learning rate at optimizer step ``step`` (counted from 0), as a Python float.

    Warm-up: ``base_lr * step / warmup_steps`` for ``step < warmup_steps`` (step 0 gives 0).
    Decay: from ``base_lr`` at ``step == warmup_steps`` along half a cosine to ``min_lr`` at
    ``step == total_steps``; ``min_lr`` for every later step. Requires 0 <= warmup_steps < total_steps.
    """
    if step >= total_steps:
        return float(min_lr)
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
