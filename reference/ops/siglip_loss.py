"""Readable reference for SigLIP's pairwise sigmoid loss (Zhai et al., ICCV 2023): the specification."""

import torch
import torch.nn.functional as F


def siglip_loss(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale, logit_bias) -> torch.Tensor:
    """Sigmoid loss of N matching image-text pairs, features (N, D), as a 0-d tensor.

    Rows are L2-normalized; ``logits = logit_scale * img @ txt.T + logit_bias``; every pair is its
    own binary problem with label +1 on the diagonal (matching pairs) and -1 elsewhere; the loss is
    ``-sum(log sigmoid(labels * logits)) / N``. ``logit_scale`` is the multiplier itself (already
    exponentiated); both may be Python floats or 0-d tensors that require grad.
    """
    if image_features.dim() != 2 or image_features.shape != text_features.shape:
        raise ValueError(
            f"image and text features must both be (N, D); got {tuple(image_features.shape)} and {tuple(text_features.shape)}"
        )
    images = F.normalize(image_features, dim=-1)
    texts = F.normalize(text_features, dim=-1)
    logits = logit_scale * images @ texts.T + logit_bias
    n = images.shape[0]
    labels = 2 * torch.eye(n, dtype=logits.dtype, device=logits.device) - 1
    # logsigmoid never forms sigmoid(x) first, so a logit of -1000 gives -1000, not log(0) = -inf.
    return -F.logsigmoid(labels * logits).sum() / n
