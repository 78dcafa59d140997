"""CLIP's symmetric contrastive loss. See README.md in this folder for the full statement."""

import torch


def clip_loss(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale) -> torch.Tensor:
    """Symmetric contrastive loss of N matched (image, text) pairs, returned as a 0-d tensor.

    image_features and text_features are (N, D); row i of each is the i-th pair. L2-normalize the
    rows, take logits = logit_scale * image @ text.T, and average the cross-entropy over rows and
    over columns with the diagonal as targets. logit_scale is a float or a 0-d tensor in (0, 100].
    The loss must be differentiable w.r.t. both feature tensors. Do not modify the inputs.
    """
    raise NotImplementedError("clip_loss: write your solution here")
