"""Computes the loss in numpy and wraps the number in a tensor: the value is right, but the result
is cut off from the autograd graph, so backward() cannot reach the features.

Breaks: gradients_match_reference
"""

import numpy as np
import torch


def _logsumexp(x, axis):
    top = x.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def clip_loss(image_features, text_features, logit_scale):
    image = image_features.detach().numpy().astype(np.float64)
    text = text_features.detach().numpy().astype(np.float64)
    image = image / np.linalg.norm(image, axis=1, keepdims=True)
    text = text / np.linalg.norm(text, axis=1, keepdims=True)
    logits = float(logit_scale) * image @ text.T
    diagonal = np.diagonal(logits)
    image_to_text = (_logsumexp(logits, 1) - diagonal).mean()
    text_to_image = (_logsumexp(logits, 0) - diagonal).mean()
    return torch.tensor((image_to_text + text_to_image) / 2)
