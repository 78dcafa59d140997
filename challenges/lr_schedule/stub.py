"""Linear warm-up, then cosine decay. See README.md in this folder for the full statement."""


def warmup_cosine_lr(step: int, total_steps: int, warmup_steps: int, base_lr: float, min_lr: float = 0.0) -> float:
    """Learning rate at step ``step`` (counted from 0), as a Python float.

    step < warmup_steps: linear from 0 (at step 0) towards base_lr.
    warmup_steps <= step <= total_steps: cosine from base_lr (at warmup_steps) to min_lr (at total_steps).
    step > total_steps: min_lr. Requires 0 <= warmup_steps < total_steps.
    """
    raise NotImplementedError("warmup_cosine_lr: write your solution here")
