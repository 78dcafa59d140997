"""Divides the empty part of the enclosing box by the union instead of by the enclosing area, so GIoU
can fall far below -1 for distant boxes.

Breaks: giou_matches_reference
"""

import math

import torch


def _inter_union(a, b):
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter, area_a[:, None] + area_b[None, :] - inter


def _enclosing(a, b):
    lt = torch.minimum(a[:, None, :2], b[None, :, :2])
    rb = torch.maximum(a[:, None, 2:], b[None, :, 2:])
    return rb - lt


def generalized_box_iou(boxes1, boxes2):
    inter, union = _inter_union(boxes1, boxes2)
    wh = _enclosing(boxes1, boxes2)
    area_c = wh[..., 0] * wh[..., 1]
    return inter / union - (area_c - union) / union


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    inter, union = _inter_union(boxes1, boxes2)
    wh = _enclosing(boxes1, boxes2)
    diag2 = wh[..., 0] ** 2 + wh[..., 1] ** 2 + eps
    c1 = (boxes1[:, :2] + boxes1[:, 2:]) / 2
    c2 = (boxes2[:, :2] + boxes2[:, 2:]) / 2
    d2 = ((c1[:, None, :] - c2[None, :, :]) ** 2).sum(-1)
    return inter / union - d2 / diag2


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    a1 = torch.atan((boxes1[:, 2] - boxes1[:, 0]) / (boxes1[:, 3] - boxes1[:, 1]))
    a2 = torch.atan((boxes2[:, 2] - boxes2[:, 0]) / (boxes2[:, 3] - boxes2[:, 1]))
    v = 4 / math.pi**2 * (a1[:, None] - a2[None, :]) ** 2
    alpha = v / (1 - iou + v + eps)
    return distance_box_iou(boxes1, boxes2, eps) - alpha * v
