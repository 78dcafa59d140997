"""Readable reference for batch normalization over (N, C) or (N, C, H, W): the specification every track is graded against."""

import torch


def batch_norm_2d(x, running_mean, running_var, weight, bias, training, momentum=0.1, eps=1e-5):
    """Batch norm with explicit running statistics; returns (y, new_running_mean, new_running_var).

    Statistics are per channel (dim 1), over the batch and, for 4-D input, every pixel.
    Training: normalize with the batch mean and biased variance; update the running statistics as
    (1 - momentum)·old + momentum·batch, using the unbiased variance (divide by n - 1).
    Evaluation: normalize with the running statistics and return them unchanged.
    weight and bias are (C,) tensors or None (meaning 1 and 0). The inputs are never modified.
    """
    dims = [0] + list(range(2, x.dim()))
    shape = [1, -1] + [1] * (x.dim() - 2)
    if training:
        count = x.numel() // x.shape[1]
        mean = x.mean(dim=dims)
        var = ((x - mean.view(shape)) ** 2).mean(dim=dims)
        unbiased = var * count / (count - 1)
        new_mean = (1 - momentum) * running_mean + momentum * mean.to(running_mean.dtype)
        new_var = (1 - momentum) * running_var + momentum * unbiased.to(running_var.dtype)
    else:
        mean, var = running_mean.to(x.dtype), running_var.to(x.dtype)
        new_mean, new_var = running_mean.clone(), running_var.clone()
    y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
    if weight is not None:
        y = y * weight.view(shape)
    if bias is not None:
        y = y + bias.view(shape)
    return y, new_mean, new_var
