"""Sorts with argsort ascending and flips the result: scores come out descending, but equal
scores come out highest index first.

Breaks: ties_keep_lower_index_first
"""

import torch


def panoptic_merge(semantic: torch.Tensor, instance_masks: torch.Tensor, instance_scores: torch.Tensor,
                   instance_labels: torch.Tensor, overlap_threshold: float = 0.5, stuff_area_threshold: int = 4096,
                   instance_score_threshold: float = 0.5) -> tuple[torch.Tensor, list[dict]]:
    """Merge instance predictions and a semantic map into a panoptic map.

    ``semantic`` (H, W) int64, label 0 meaning "a thing is here"; ``instance_masks`` (K, H, W) bool;
    ``instance_scores`` (K,) float; ``instance_labels`` (K,) int64. Returns ``panoptic`` int32 (H, W),
    0 for void, and ``segments``: one dict per segment id 1, 2, ... with ``id``, ``category_id``,
    ``isthing``, ``area`` (pixels it claimed) and, for things, ``score``.
    """
    panoptic = torch.zeros(semantic.shape, dtype=torch.int32)
    segments = []
    next_id = 1

    # Things first, best score first; a stable sort keeps the lower index first on ties.
    order = torch.argsort(instance_scores, stable=True).flip(0).tolist()
    for index in order:
        score = float(instance_scores[index])
        if score < instance_score_threshold:
            break  # sorted: every later instance scores lower still
        mask = instance_masks[index].to(torch.bool)
        mask_area = int(mask.sum())
        if mask_area == 0:
            continue
        claimed_area = int((mask & (panoptic > 0)).sum())
        if claimed_area / mask_area > overlap_threshold:
            continue  # mostly hidden behind better instances: a duplicate
        free = mask & (panoptic == 0)
        panoptic[free] = next_id
        segments.append({"id": next_id, "category_id": int(instance_labels[index]), "isthing": True,
                         "area": int(free.sum()), "score": score})
        next_id += 1

    # Then stuff: each semantic label except 0, ascending, on the pixels no thing claimed.
    for label in torch.unique(semantic).tolist():
        if label == 0:
            continue
        free = (semantic == label) & (panoptic == 0)
        area = int(free.sum())
        if area < stuff_area_threshold:
            continue
        panoptic[free] = next_id
        segments.append({"id": next_id, "category_id": int(label), "isthing": False, "area": area})
        next_id += 1
    return panoptic, segments
