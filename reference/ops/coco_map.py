"""Readable reference for COCO-style detection mAP (pycocotools' COCOeval, bbox, no crowd, area "all").

Everything that decides a match or a recall point is computed in float64, as pycocotools does: an
IoU of exactly 13/20 must meet the threshold 0.65, and in float32 it lands just below it.
"""

import torch

from reference.ops.box_iou import box_iou

# The exact float64 values of numpy.linspace(0.5, 0.95, 10) and numpy.linspace(0, 1, 101), which
# pycocotools uses (torch.linspace differs in the last bit for some of them).
IOU_THRESHOLDS = [0.5 + i * ((0.95 - 0.5) / 9) for i in range(9)] + [0.95]
RECALL_THRESHOLDS = [i * 0.01 for i in range(100)] + [1.0]
MAX_DETECTIONS = 100  # per image and category


def _stable_order_by_score(scores: torch.Tensor) -> torch.Tensor:
    """Indices by descending score; equal scores keep their input order."""
    return torch.sort(scores, descending=True, stable=True).indices


def _match_one_image(boxes, scores, gt_boxes):
    """Scores of the kept detections (best first) and, per IoU threshold, which of them matched.

    Greedy, in descending score: each detection takes the still unmatched ground truth of highest
    IoU >= the threshold; on equal IoU the later ground truth wins (pycocotools scans in order and
    replaces on >=).
    """
    order = _stable_order_by_score(scores)[:MAX_DETECTIONS]
    boxes, scores = boxes[order], scores[order]
    iou = box_iou(boxes, gt_boxes).tolist()
    matched = torch.zeros(len(IOU_THRESHOLDS), len(boxes), dtype=torch.bool)
    for t, threshold in enumerate(IOU_THRESHOLDS):
        taken = [False] * len(gt_boxes)
        for d in range(len(boxes)):
            best, best_iou = -1, min(threshold, 1 - 1e-10)
            for g in range(len(gt_boxes)):
                if taken[g] or iou[d][g] < best_iou:
                    continue
                best, best_iou = g, iou[d][g]
            if best >= 0:
                taken[best] = True
                matched[t, d] = True
    return scores, matched


def _precision_at_recall_points(matched: torch.Tensor, num_gt: int) -> torch.Tensor:
    """(101,) interpolated precision of one threshold's ranked match flags."""
    tp = torch.cumsum(matched.double(), 0)
    fp = torch.cumsum((~matched).double(), 0)
    recall = tp / num_gt
    precision = tp / (tp + fp)
    # Precision envelope: the best precision at this recall or any higher one.
    precision = torch.flip(torch.cummax(torch.flip(precision, [0]), 0).values, [0])
    points = torch.zeros(len(RECALL_THRESHOLDS), dtype=torch.float64)
    first = torch.searchsorted(recall, torch.tensor(RECALL_THRESHOLDS, dtype=torch.float64), side="left")
    reached = first < len(recall)
    points[reached] = precision[first[reached]]
    return points


def evaluate_detections(predictions, ground_truths) -> dict:
    """COCO mAP@[.5:.95], mAP@.5 and mAP@.75 of per-image predictions against ground truth.

    ``predictions[i]``: dict with ``boxes`` (K, 4) x1, y1, x2, y2, ``scores`` (K,), ``labels`` (K,).
    ``ground_truths[i]``: dict with ``boxes`` (G, 4) and ``labels`` (G,). Categories are the labels
    that have ground truth; with none at all every value is -1.
    """
    categories = sorted({int(c) for gt in ground_truths for c in gt["labels"].tolist()})
    if not categories:
        return {"map": -1.0, "map_50": -1.0, "map_75": -1.0}
    per_category = []  # (thresholds, recall points) per category
    for category in categories:
        all_scores, all_matched, num_gt = [], [], 0
        for pred, gt in zip(predictions, ground_truths):
            gt_boxes = gt["boxes"][gt["labels"] == category].double()
            mine = pred["labels"] == category
            scores, matched = _match_one_image(pred["boxes"][mine].double(), pred["scores"][mine].double(), gt_boxes)
            num_gt += len(gt_boxes)
            all_scores.append(scores)
            all_matched.append(matched)
        scores = torch.cat(all_scores)
        # Images are concatenated in order, so equal scores rank by image, then by rank in the image.
        matched = torch.cat(all_matched, dim=1)[:, _stable_order_by_score(scores)]
        per_category.append(torch.stack([_precision_at_recall_points(m, num_gt) for m in matched]))
    precision = torch.stack(per_category)  # (categories, thresholds, recall points)
    return {
        "map": precision.mean().item(),
        "map_50": precision[:, 0].mean().item(),
        "map_75": precision[:, 5].mean().item(),
    }
