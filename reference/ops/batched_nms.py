"""Readable reference for class-aware (batched) non-maximum suppression."""

import torch

from reference.ops.nms import nms


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices (int64) kept by greedy NMS run separately within each category of ``idxs``.

    Boxes of different categories never suppress each other. The kept indices of all categories
    are merged by descending score, the lower index first among equal scores.
    """
    kept = []
    for category in torch.unique(idxs):
        members = torch.nonzero(idxs == category).flatten()
        kept.append(members[nms(boxes[members], scores[members], iou_threshold)])
    if not kept:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    # Ascending indices first, then a stable sort by score: equal scores keep the lower index first.
    kept_indices = torch.sort(torch.cat(kept)).values
    order = torch.sort(scores[kept_indices], descending=True, stable=True).indices
    return kept_indices[order]
