"""Properties of COCO-style detection mAP (pycocotools' COCOeval: bbox, no crowd, area "all")."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close
from reference.ops.coco_map import evaluate_detections as reference_evaluate
from grader.suites.strategies import dtypes

suite = Suite("coco_map")


# pycocotools and the reference agree to 1e-15; 1e-6 is the contract (float32 boxes are whole
# numbers, so they convert to float64 exactly).
TOL = 1e-6
KEYS = ("map", "map_50", "map_75")


def build(pred_rows, gt_rows, dtype=torch.float64):
    """Per image: predictions as (box, score, label) rows and ground truth as (box, label) rows."""
    preds = [{"boxes": torch.tensor([r[0] for r in img], dtype=dtype).reshape(-1, 4),
              "scores": torch.tensor([r[1] for r in img], dtype=dtype),
              "labels": torch.tensor([r[2] for r in img], dtype=torch.int64)} for img in pred_rows]
    gts = [{"boxes": torch.tensor([r[0] for r in img], dtype=dtype).reshape(-1, 4),
            "labels": torch.tensor([r[1] for r in img], dtype=torch.int64)} for img in gt_rows]
    return preds, gts


@st.composite
def box_rows(draw, extent=30, max_side=16):
    x, y = draw(st.integers(0, extent)), draw(st.integers(0, extent))
    return [x, y, x + draw(st.integers(1, max_side)), y + draw(st.integers(1, max_side))]


@st.composite
def datasets(draw, *, max_images=3, max_gt=4, max_pred=5):
    """Images with whole-number boxes (exact in float32 and as pycocotools' x, y, w, h); most
    predictions are jittered copies of a ground truth, some change label, some are anywhere.
    Scores come from a coarse set, so ties across images and within one are common."""
    dtype = draw(dtypes)
    pred_rows, gt_rows = [], []
    for _ in range(draw(st.integers(1, max_images))):
        gts = [(draw(box_rows()), draw(st.integers(1, 3))) for _ in range(draw(st.integers(0, max_gt)))]
        preds = []
        for _ in range(draw(st.integers(0, max_pred))):
            if gts and draw(st.integers(0, 9)) < 7:
                box, label = gts[draw(st.integers(0, len(gts) - 1))]
                box = [v + draw(st.integers(-2, 2)) for v in box]
                box[2], box[3] = max(box[2], box[0]), max(box[3], box[1])
                label = label if draw(st.integers(0, 9)) < 8 else draw(st.integers(1, 3))
            else:
                box, label = draw(box_rows()), draw(st.integers(1, 3))
            score = draw(st.one_of(st.sampled_from([0.2, 0.4, 0.6, 0.8, 1.0]), st.integers(0, 1000).map(lambda s: s / 1000)))
            preds.append((box, score, label))
        pred_rows.append(preds)
        gt_rows.append(gts)
    return build(pred_rows, gt_rows, dtype)


def result_values(result, what="evaluate_detections"):
    """The three numbers of a result, after checking the output contract."""
    expect(isinstance(result, dict), f"{what} should return a dict, got {type(result).__name__}")
    expect(set(result) == set(KEYS), f"{what} should return exactly the keys {list(KEYS)}, got {sorted(result)}")
    for key in KEYS:
        value = result[key]
        expect(isinstance(value, float), f"{what}[{key!r}] should be a Python float (use float(...) or .item()), got {type(value).__name__}: {value!r}")
        expect(value == -1.0 or 0.0 <= value <= 1.0 + 1e-12, f"{what}[{key!r}] should be in [0, 1] (or -1 without ground truth), got {value!r}")
    return [result[key] for key in KEYS]


def expect_scores(result, want, what):
    got = result_values(result)
    expect_close(torch.tensor(got, dtype=torch.float64), torch.tensor(want, dtype=torch.float64),
                 what=f"{what} [map, map_50, map_75]", atol=TOL, rtol=0)


@suite.property("returns a dict with exactly the keys map, map_50, map_75, each a Python float in [0, 1] (or -1)")
@given(data=datasets())
def output_contract(sol, data):
    result_values(sol.evaluate_detections(*data))


@suite.property("equals COCO's mAP: greedy matching by score, precision envelope, 101 recall points, IoU 0.50:0.05:0.95")
@given(data=datasets())
def matches_reference(sol, data):
    want = reference_evaluate(*data)
    expect_scores(sol.evaluate_detections(*data), [want[k] for k in KEYS], "mAP")


@suite.property("worked example from the statement: one exact hit, one hit with IoU 0.72, one miss give 0.752475 / 1.0 / 0.504950")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    data = build([[([0, 0, 10, 10], 0.9, 1), ([21, 0, 30, 8], 0.8, 1), ([50, 50, 60, 60], 0.7, 1)]],
                 [[([0, 0, 10, 10], 1), ([20, 0, 30, 10], 1)]], dtype)
    expect_scores(sol.evaluate_detections(*data), [76 / 101, 1.0, 51 / 101], "worked example")


# (predictions, ground truth, [stats[0], stats[1], stats[2]] of pycocotools 2.0 COCOeval) on random
# data; boxes here are x1, y1, x2, y2 (pycocotools was given x, y, w, h).
LIBRARY_CASES = [
    ([[([15, 28, 29, 34], 0.272, 3), ([16, 28, 30, 35], 0.8, 3), ([15, 27, 27, 35], 0.6, 3)],
      [([16, 2, 33, 13], 1.0, 3), ([17, 1, 30, 11], 0.684, 3), ([13, 15, 26, 19], 0.688, 1), ([17, 3, 33, 12], 0.984, 3)],
      [([23, 20, 31, 34], 0.435, 3)]],
     [[([15, 28, 29, 36], 3), ([19, 19, 21, 20], 1)], [([16, 1, 31, 12], 3)], [([23, 19, 32, 34], 3), ([9, 19, 20, 33], 3)]],
     [0.157508250825, 0.273102310231, 0.188118811881]),
    ([[([20, 23, 34, 28], 0.2, 2), ([24, 18, 40, 23], 0.851, 2), ([8, 1, 25, 10], 0.189, 2), ([7, 2, 26, 6], 0.2, 2),
       ([21, 15, 32, 29], 0.794, 3)],
      [([25, 24, 26, 24], 0.009, 3), ([23, 21, 28, 22], 0.955, 3), ([25, 17, 42, 24], 1.0, 3)]],
     [[([20, 13, 34, 28], 3), ([25, 19, 38, 25], 1), ([0, 29, 6, 37], 2), ([9, 0, 24, 8], 2)],
      [([25, 22, 27, 23], 3), ([27, 15, 41, 26], 3)]],
     [0.053327832783, 0.226897689769, 0.0]),
    ([[], [([28, 23, 29, 24], 0.8, 3), ([0, 6, 13, 14], 0.558, 2), ([0, 23, 4, 36], 0.6, 3), ([10, 4, 20, 17], 0.2, 1),
           ([8, 18, 18, 24], 0.449, 2)],
      [([16, 4, 22, 22], 0.4, 1), ([17, 7, 24, 21], 0.222, 1), ([17, 8, 25, 21], 0.348, 1), ([15, 4, 23, 18], 0.21, 1)]],
     [[([5, 26, 13, 33], 3), ([30, 4, 45, 15], 3)], [([9, 6, 22, 15], 1), ([7, 25, 21, 38], 3)], [([17, 6, 23, 20], 1)]],
     [0.108168316832, 0.351485148515, 0.084158415842]),
    ([[([6, 15, 25, 23], 0.945, 2), ([8, 15, 25, 25], 0.2, 2), ([9, 16, 23, 23], 0.399, 2), ([27, 2, 41, 14], 0.761, 2),
       ([17, 11, 20, 19], 0.4, 3)], []],
     [[([7, 17, 23, 25], 2)], [([11, 25, 19, 36], 3), ([9, 19, 10, 25], 2), ([12, 14, 24, 25], 2), ([5, 12, 21, 17], 2)]],
     [0.023597359736, 0.128712871287, 0.0]),
    # Two detections ranked 1 and 2 on one image; the first overlaps both ground truths with IoU 0.5.
    ([[([0, 0, 4, 4], 0.9, 1), ([0, 0, 4, 2], 0.8, 1)]], [[([0, 0, 4, 2], 1), ([0, 2, 4, 4], 1)]],
     [0.327227722772, 1.0, 0.252475247525]),
]


@suite.property("agrees with pycocotools' COCOeval (stats[0], stats[1], stats[2]) on fixed data recorded from the library")
@given(case=st.sampled_from(LIBRARY_CASES), dtype=dtypes)
def library_values(sol, case, dtype):
    pred_rows, gt_rows, want = case
    expect_scores(sol.evaluate_detections(*build(pred_rows, gt_rows, dtype)), want, "mAP against pycocotools")


@suite.property("a detection matches when IoU >= threshold, ties included: IoU exactly 0.5, 0.65 (13/20, compute IoU in float64) or 0.75")
@given(dtype=dtypes, case=st.sampled_from([([0, 0, 4, 2], [0, 0, 4, 4], [0.1, 1.0, 0.0]),
                                           ([0, 0, 13, 1], [0, 0, 20, 1], [0.4, 1.0, 0.0]),
                                           ([0, 0, 4, 3], [0, 0, 4, 4], [0.6, 1.0, 1.0])]))
def threshold_inclusive(sol, dtype, case):
    box, gt, want = case
    context(iou=f"{(box[2] - box[0]) * (box[3] - box[1])}/{(gt[2] - gt[0]) * (gt[3] - gt[1])}")
    expect_scores(sol.evaluate_detections(*build([[(box, 0.9, 1)]], [[(gt, 1)]], dtype)), want, "single detection")


@suite.property("each ground truth is matched at most once: a second detection of the same object is a false positive")
@given(dtype=dtypes, copies=st.integers(1, 3))
def duplicates_are_false_positives(sol, dtype, copies):
    context(copies=copies)
    rows = [([0, 0, 10, 10], 0.9, 1)] + [([0, 0, 10, 10], 0.85 - 0.01 * i, 1) for i in range(copies)] + [([20, 0, 30, 10], 0.7, 1)]
    data = build([rows], [[([0, 0, 10, 10], 1), ([20, 0, 30, 10], 1)]], dtype)
    want = reference_evaluate(*data)
    expect_scores(sol.evaluate_detections(*data), [want[k] for k in KEYS], "mAP with duplicate detections")


@suite.property("on equal IoU a detection takes the later ground truth (pycocotools' order), leaving the earlier one for the next detection")
@given(dtype=dtypes)
def ties_go_to_later_ground_truth(sol, dtype):
    data = build([[([0, 0, 4, 4], 0.9, 1), ([0, 0, 4, 2], 0.8, 1)]], [[([0, 0, 4, 2], 1), ([0, 2, 4, 4], 1)]], dtype)
    expect_scores(sol.evaluate_detections(*data), [0.327227722772, 1.0, 0.252475247525], "tie between two ground truths")


@suite.property("only the ranking by score matters: shuffling the detections of an image changes nothing (equal scores aside)")
@given(data=datasets(), seed=st.integers(0, 2**31 - 1))
def only_score_order_matters(sol, data, seed):
    preds, gts = data
    g = torch.Generator().manual_seed(seed)
    distinct, shuffled = [], []
    for p in preds:
        # Scores are multiples of 0.001; adding i·0.0001 makes them distinct within the image, so
        # the ranking no longer depends on the input order.
        scores = p["scores"] + torch.arange(len(p["scores"]), dtype=p["scores"].dtype) * 1e-4
        perm = torch.randperm(len(scores), generator=g)
        distinct.append({"boxes": p["boxes"], "scores": scores, "labels": p["labels"]})
        shuffled.append({"boxes": p["boxes"][perm], "scores": scores[perm], "labels": p["labels"][perm]})
    context(seed=seed)
    before = result_values(sol.evaluate_detections(distinct, gts))
    after = result_values(sol.evaluate_detections(shuffled, gts))
    expect_close(torch.tensor(after), torch.tensor(before), what="mAP after shuffling each image's detections", atol=TOL, rtol=0)


@suite.property("at most the 100 best-scored detections per image and category count: a hit ranked 101st is ignored")
@given(dtype=dtypes, other_label=st.booleans())
def at_most_100_per_image_and_category(sol, dtype, other_label):
    label = 2 if other_label else 1
    context(label_of_the_100_misses=label)
    rows = [([50, 50, 60, 60], 1.0 - i / 1000, label) for i in range(100)] + [([0, 0, 10, 10], 0.01, 1)]
    want = [1.0, 1.0, 1.0] if other_label else [0.0, 0.0, 0.0]
    expect_scores(sol.evaluate_detections(*build([rows], [[([0, 0, 10, 10], 1)]], dtype)), want, "101 detections on one image")


@suite.property("categories without ground truth do not count: adding detections of a label nobody annotated changes nothing")
@given(data=datasets(), boxes=st.lists(box_rows(), min_size=1, max_size=4))
def categories_without_ground_truth_ignored(sol, data, boxes):
    preds, gts = data
    extra = []
    for i, p in enumerate(preds):
        added = torch.tensor(boxes, dtype=p["boxes"].dtype) if i == 0 else p["boxes"][:0]
        extra.append({"boxes": torch.cat([p["boxes"], added]),
                      "scores": torch.cat([p["scores"], torch.full((len(added),), 0.5, dtype=p["scores"].dtype)]),
                      "labels": torch.cat([p["labels"], torch.full((len(added),), 7, dtype=torch.int64)])})
    before = result_values(sol.evaluate_detections(preds, gts))
    after = result_values(sol.evaluate_detections(extra, gts))
    expect_close(torch.tensor(after), torch.tensor(before), what="mAP after adding label-7 detections (no label-7 ground truth)", atol=TOL, rtol=0)


@suite.property("with no ground truth at all every value is -1, whatever the predictions")
@given(data=datasets())
def no_ground_truth_gives_minus_one(sol, data):
    preds, gts = data
    empty = [{"boxes": g["boxes"][:0], "labels": g["labels"][:0]} for g in gts]
    expect_scores(sol.evaluate_detections(preds, empty), [-1.0, -1.0, -1.0], "no ground truth")


@suite.property("predicting every ground-truth box exactly, with its label, scores 1.0 at every threshold")
@given(data=datasets())
def perfect_predictions_score_one(sol, data):
    _, gts = data
    if not any(len(g["boxes"]) for g in gts):
        return
    preds = [{"boxes": g["boxes"].clone(), "scores": torch.linspace(1, 0.5, len(g["boxes"]), dtype=g["boxes"].dtype),
              "labels": g["labels"].clone()} for g in gts]
    expect_scores(sol.evaluate_detections(preds, gts), [1.0, 1.0, 1.0], "perfect predictions")
