"""Panoptic FPN merge of instance and semantic predictions. See README.md in this folder for the full statement."""

import torch


def panoptic_merge(semantic: torch.Tensor, instance_masks: torch.Tensor, instance_scores: torch.Tensor,
                   instance_labels: torch.Tensor, overlap_threshold: float = 0.5, stuff_area_threshold: int = 4096,
                   instance_score_threshold: float = 0.5) -> tuple[torch.Tensor, list[dict]]:
    """Merge instances (masks (K, H, W) bool, scores (K,), labels (K,)) and a semantic map (H, W).

    Return ``(panoptic, segments)``: ``panoptic`` int32 (H, W), 0 for void; ``segments`` a list of
    dicts with ``id``, ``category_id``, ``isthing``, ``area`` and, for things, ``score``, in id
    order 1, 2, .... Do not modify the inputs.
    """
    raise NotImplementedError("panoptic_merge: write your solution here")
