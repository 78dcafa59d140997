"""Properties of class-aware (batched) non-maximum suppression."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_equal, expect_tensor
from reference.ops.batched_nms import batched_nms as reference_batched_nms
from reference.ops.nms import nms as reference_nms
from grader.suites.strategies import dtypes

# Tiny tensors: intra-op threads only add synchronisation on a busy machine (this worker only).
torch.set_num_threads(1)

suite = Suite("batched_nms")

# Integer corners and dyadic thresholds: every IoU decision is exact in float32 and float64, so
# kept indices are compared exactly. Scores come from a coarse grid so that ties happen.
THRESHOLDS = st.sampled_from([0.125, 0.25, 0.5, 0.75])


@st.composite
def detections(draw, min_n=0, max_n=10, categories=4, origin=None, dtype=None):
    """Boxes crowded into a 50-pixel area around ``origin`` (drawn, possibly large or negative),
    scores k/8 and category ids in [0, categories)."""
    dtype = dtype or draw(dtypes)
    n = draw(st.integers(min_n, max_n))
    ox = draw(st.integers(-10_000, 10_000)) if origin is None else origin
    oy = draw(st.integers(-10_000, 10_000)) if origin is None else origin
    rows = []
    for _ in range(n):
        x, y = draw(st.integers(0, 30)), draw(st.integers(0, 30))
        w, h = draw(st.integers(1, 20)), draw(st.integers(1, 20))
        rows.append([ox + x, oy + y, ox + x + w, oy + y + h])
    if rows and draw(st.booleans()):
        rows += [list(rows[i]) for i in draw(st.lists(st.integers(0, n - 1), max_size=3))]
    b = torch.tensor(rows, dtype=dtype).reshape(-1, 4)
    s = torch.tensor(draw(st.lists(st.integers(1, 8), min_size=len(b), max_size=len(b))), dtype=dtype) / 8
    c = torch.tensor(draw(st.lists(st.integers(0, categories - 1), min_size=len(b), max_size=len(b))), dtype=torch.int64)
    return b, s, c


def expected_keep(b, s, c, threshold):
    return reference_batched_nms(b.double(), s.double(), c, threshold)


@suite.property("returns a 1-D int64 tensor of indices into the boxes, each at most once")
@given(det=detections(), threshold=THRESHOLDS)
def output_contract(sol, det, threshold):
    b, s, c = det
    keep = sol.batched_nms(b, s, c, threshold)
    expect_tensor(keep, what="batched_nms(boxes, scores, idxs, iou_threshold)", dtype=torch.int64)
    expect(keep.dim() == 1, f"the result should be 1-D, got shape {tuple(keep.shape)}")
    expect(bool(((keep >= 0) & (keep < len(b))).all()), f"indices must lie in [0, {len(b)}), got {keep.tolist()}")
    expect(len(set(keep.tolist())) == len(keep), f"an index appears twice in {keep.tolist()}")


@suite.property("keeps exactly what greedy NMS keeps within each category, merged by descending score (lower index first on ties)")
@given(det=detections(), threshold=THRESHOLDS)
def matches_reference(sol, det, threshold):
    b, s, c = det
    keep = sol.batched_nms(b, s, c, threshold)
    expect_equal(keep, expected_keep(b, s, c, threshold), what="kept indices")


@suite.property(
    "worked example from the statement: boxes 0 and 1 (category 0) overlap with IoU 0.68, box 2 repeats box 0 in "
    "category 1; at iou_threshold 0.5 the result is [1, 2, 3]"
)
@given(dtype=dtypes)
def worked_example(sol, dtype):
    b = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [20, 20, 30, 30]], dtype=dtype)
    s = torch.tensor([0.9, 0.95, 0.9, 0.5], dtype=dtype)
    c = torch.tensor([0, 0, 1, 0])
    expect_equal(sol.batched_nms(b, s, c, 0.5), torch.tensor([1, 2, 3]), what="kept indices at iou_threshold 0.5")
    expect_equal(sol.batched_nms(b, s, c, 0.7), torch.tensor([1, 0, 2, 3]), what="kept indices at iou_threshold 0.7")


@suite.property(
    "cross-check with torchvision.ops.batched_nms on seven fixed boxes in three categories: "
    "[1, 2, 4, 6] at iou_threshold 0.5 and [1, 0, 2, 5, 4, 6] at 0.7"
)
@given(dtype=dtypes)
def torchvision_values(sol, dtype):
    b = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [20, 20, 30, 30], [21, 20, 31, 30],
                      [2, 0, 12, 10], [0, 0, 10, 10]], dtype=dtype)
    s = torch.tensor([0.9, 0.95, 0.9, 0.5, 0.6, 0.8, 0.3], dtype=dtype)
    c = torch.tensor([0, 0, 1, 0, 0, 1, 2])
    for threshold, expected in ((0.5, [1, 2, 4, 6]), (0.7, [1, 0, 2, 5, 4, 6])):
        expect_equal(sol.batched_nms(b, s, c, threshold), torch.tensor(expected), what=f"kept indices at iou_threshold {threshold}")


@suite.property("boxes of different categories never suppress each other: identical boxes in distinct categories are all kept")
@given(n=st.integers(2, 6), dtype=dtypes, side=st.integers(1, 12), step=st.sampled_from([1, 3]),
       # Half the draws put the largest coordinate within 2 of -1, where shifting each category by
       # idxs * (boxes.max() + 1) moves it by a pixel or two, or not at all.
       near_minus_one=st.integers(-2, 2), far=st.one_of(st.none(), st.integers(-10_000, 10_000)),
       threshold=THRESHOLDS)
def categories_never_suppress_each_other(sol, n, dtype, side, step, near_minus_one, far, threshold):
    origin = far if far is not None else -1 - side + near_minus_one
    context(origin=origin, side=side)
    b = torch.tensor([[origin, origin, origin + side, origin + side]] * n, dtype=dtype)
    s = torch.linspace(1.0, 0.5, n, dtype=dtype)
    c = torch.arange(n) * step
    expect_equal(sol.batched_nms(b, s, c, threshold), torch.arange(n), what="kept indices of one box repeated in different categories")


@suite.property("with a single category it is plain greedy NMS")
@given(det=detections(categories=1), threshold=THRESHOLDS, category=st.integers(0, 100))
def one_category_is_nms(sol, det, threshold, category):
    b, s, c = det
    c = torch.full_like(c, category)
    context(idxs_all=category)
    expected = reference_nms(b.double(), s.double(), threshold)
    expect_equal(sol.batched_nms(b, s, c, threshold), expected, what="kept indices with one category")


@suite.property(
    "coordinates at or below zero work too: an offset trick like idxs * boxes.max() merges categories when "
    "boxes.max() is 0 or negative, so shift by more than the coordinate span"
)
@given(det=detections(origin=-50), threshold=THRESHOLDS)
def negative_coordinates(sol, det, threshold):
    b, s, c = det
    keep = sol.batched_nms(b, s, c, threshold)
    expect_equal(keep, expected_keep(b, s, c, threshold), what="kept indices for boxes in [-50, 0]")


@suite.property("translating every box by the same offset, even far into negative or large coordinates, keeps the same indices")
@given(det=detections(origin=0), threshold=THRESHOLDS, dx=st.integers(-20_000, 20_000), dy=st.integers(-20_000, 20_000))
def translation_invariant(sol, det, threshold, dx, dy):
    b, s, c = det
    context(dx=dx, dy=dy)
    offset = torch.tensor([dx, dy, dx, dy], dtype=b.dtype)
    moved = sol.batched_nms(b + offset, s, c, threshold)
    expect_equal(moved, sol.batched_nms(b, s, c, threshold), what="kept indices after translating every box")


@suite.property("the result is ordered by descending score, the lower index first among equal scores")
@given(det=detections(), threshold=THRESHOLDS)
def sorted_by_score(sol, det, threshold):
    b, s, c = det
    keep = sol.batched_nms(b, s, c, threshold)
    expect_tensor(keep, what="batched_nms", dtype=torch.int64)
    pairs = [(-s[i].item(), i) for i in keep.tolist()]
    expect(pairs == sorted(pairs), f"kept indices {keep.tolist()} with scores {s[keep].tolist()} are not in descending score order with ties by index")


@suite.property("a box is suppressed only when its IoU with a kept box of its category is strictly greater than iou_threshold")
@given(dtype=dtypes, shift=st.integers(-1000, 1000), category=st.integers(0, 5))
def strict_threshold(sol, dtype, shift, category):
    context(shift=shift)
    # [0,0,3,1] and [1,0,4,1]: intersection 2, union 4, IoU exactly 0.5.
    b = torch.tensor([[0, 0, 3, 1], [1, 0, 4, 1]], dtype=dtype) + shift
    s = torch.tensor([0.6, 0.9], dtype=dtype)
    c = torch.tensor([category, category])
    expect_equal(sol.batched_nms(b, s, c, 0.5), torch.tensor([1, 0]), what="kept indices for two boxes with IoU exactly 0.5 at iou_threshold 0.5")


@suite.property("no boxes in gives an empty int64 tensor")
@given(dtype=dtypes)
def empty_input(sol, dtype):
    keep = sol.batched_nms(torch.zeros(0, 4, dtype=dtype), torch.zeros(0, dtype=dtype), torch.zeros(0, dtype=torch.int64), 0.5)
    expect_tensor(keep, what="batched_nms of no boxes", dtype=torch.int64, shape=(0,))
