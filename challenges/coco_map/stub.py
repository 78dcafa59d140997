"""COCO-style detection mAP. See README.md in this folder for the full statement."""

import torch


def evaluate_detections(predictions, ground_truths) -> dict:
    """mAP@[.5:.95], mAP@.5 and mAP@.75 as {"map": float, "map_50": float, "map_75": float}.

    predictions: list (one per image) of dicts with "boxes" (K, 4) x1, y1, x2, y2, "scores" (K,),
    "labels" (K,). ground_truths: list (same images) of dicts with "boxes" (G, 4), "labels" (G,).
    pycocotools' COCOeval for bbox, no crowd, area range "all"; -1 without any ground truth.
    Do not modify the inputs.
    """
    raise NotImplementedError("evaluate_detections: write your solution here")
