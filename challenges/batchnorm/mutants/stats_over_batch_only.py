"""Takes the statistics over dim 0 only, so a 4-D input gets a separate mean and variance for every
pixel of every channel instead of one per channel.

Breaks: training_normalizes_each_channel
"""

import torch


def batch_norm_2d(x, running_mean, running_var, weight, bias, training, momentum=0.1, eps=1e-5):
    shape = [1, -1] + [1] * (x.dim() - 2)
    if training:
        n = x.shape[0]
        mean = x.mean(dim=0, keepdim=True)
        var = x.var(dim=0, unbiased=False, keepdim=True)
        dims = [0] + list(range(2, x.dim()))
        batch_mean = x.mean(dim=dims)
        batch_var = x.var(dim=dims, unbiased=True)
        new_mean = (1 - momentum) * running_mean + momentum * batch_mean
        new_var = (1 - momentum) * running_var + momentum * batch_var
    else:
        mean, var = running_mean.view(shape), running_var.view(shape)
        new_mean, new_var = running_mean.clone(), running_var.clone()
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight.view(shape)
    if bias is not None:
        y = y + bias.view(shape)
    return y, new_mean, new_var
