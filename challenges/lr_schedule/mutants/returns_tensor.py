"""Uses torch.cos on a tensor and hands back a 0-d tensor instead of a float, which optimizers'
param_groups and loggers do not expect.

Breaks: output_contract
"""

import math

import torch


def warmup_cosine_lr(step, total_steps, warmup_steps, base_lr, min_lr=0.0):
    if step >= total_steps:
        return torch.tensor(min_lr)
    if step < warmup_steps:
        return torch.tensor(base_lr * step / warmup_steps)
    progress = torch.tensor((step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * 0.5 * (1 + torch.cos(math.pi * progress))
