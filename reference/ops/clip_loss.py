"""Readable reference for CLIP's symmetric contrastive loss: the specification every track is graded against."""

import torch
import torch.nn.functional as F


def clip_loss(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale) -> torch.Tensor:
    """Symmetric InfoNCE loss of N matched (image, text) pairs, as a 0-d tensor.

    Row i of ``image_features`` (N, D) and row i of ``text_features`` (N, D) describe the same pair.
    Each row is L2-normalized, ``logits[i, j] = logit_scale * <img_i, txt_j>`` is the scaled cosine
    similarity, and the loss is the mean of two cross-entropies that both take the diagonal as the
    right answer: over each row (image -> text) and over each column (text -> image).
    ``logit_scale`` is a float or a 0-d tensor (already exponentiated, as CLIP stores log of it).
    """
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    logits = logit_scale * image @ text.T
    targets = torch.arange(len(logits), device=logits.device)
    image_to_text = F.cross_entropy(logits, targets)
    text_to_image = F.cross_entropy(logits.T, targets)
    return (image_to_text + text_to_image) / 2
