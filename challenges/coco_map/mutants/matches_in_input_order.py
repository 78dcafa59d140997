"""Matches the detections of an image in input order instead of best score first, so a
low-scored box listed first can steal the ground truth of a better one.

Breaks: only_score_order_matters
"""

import numpy as np

THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def _iou(a, b):
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _match(boxes, scores, gt):
    order = np.arange(len(scores))[:100]
    boxes, scores = boxes[order], scores[order]
    iou = _iou(boxes, gt)
    matched = np.zeros((len(THRESHOLDS), len(boxes)), dtype=bool)
    for t, thr in enumerate(THRESHOLDS):
        taken = np.zeros(len(gt), dtype=bool)
        for d in range(len(boxes)):
            best, best_iou = -1, min(thr, 1 - 1e-10)
            for g in range(len(gt)):
                if taken[g] or iou[d, g] < best_iou:
                    continue
                best, best_iou = g, iou[d, g]
            if best >= 0:
                taken[best] = True
                matched[t, d] = True
    return scores, matched


def _ap_points(matched, n_gt):
    tp = np.cumsum(matched).astype(float)
    fp = np.cumsum(~matched).astype(float)
    recall = tp / n_gt
    precision = tp / np.maximum(tp + fp, 1)
    for i in range(len(precision) - 1, 0, -1):
        precision[i - 1] = max(precision[i - 1], precision[i])
    q = np.zeros(len(RECALL_POINTS))
    idx = np.searchsorted(recall, RECALL_POINTS, side="left")
    ok = idx < len(recall)
    q[ok] = precision[idx[ok]]
    return q


def evaluate_detections(predictions, ground_truths):
    cats = sorted({int(c) for g in ground_truths for c in g["labels"].tolist()})
    if not cats:
        return {"map": -1.0, "map_50": -1.0, "map_75": -1.0}
    table = []
    for c in cats:
        scores, matches, n_gt = [], [], 0
        for p, g in zip(predictions, ground_truths):
            gt = g["boxes"].double().numpy()[g["labels"].numpy() == c]
            sel = p["labels"].numpy() == c
            s, m = _match(p["boxes"].double().numpy()[sel], p["scores"].double().numpy()[sel], gt)
            scores.append(s)
            matches.append(m)
            n_gt += len(gt)
        order = np.argsort(-np.concatenate(scores), kind="stable")
        m = np.concatenate(matches, axis=1)[:, order]
        table.append(np.stack([_ap_points(m[t], n_gt) for t in range(len(THRESHOLDS))]))
    table = np.stack(table)
    return {"map": float(table.mean()), "map_50": float(table[:, 0].mean()), "map_75": float(table[:, 5].mean())}
