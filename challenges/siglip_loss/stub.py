"""SigLIP's pairwise sigmoid loss. See README.md in this folder for the full statement."""

import torch


def siglip_loss(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale, logit_bias) -> torch.Tensor:
    """Sigmoid loss of N matching image-text pairs; features are (N, D), row i of each is a pair.

    L2-normalize the rows; logits = logit_scale * img @ txt.T + logit_bias; labels are +1 on the
    diagonal and -1 elsewhere; loss = -sum(log sigmoid(labels * logits)) / N, a 0-d tensor with the
    features' dtype. logit_scale and logit_bias are floats or 0-d tensors (gradients must reach
    them and the features). Finite for logits of any size. Inputs are not modified.
    """
    raise NotImplementedError("siglip_loss: write your solution here")
