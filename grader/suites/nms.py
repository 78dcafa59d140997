"""Properties of greedy non-maximum suppression, shared by every nms track.

Together, ``indices_unique_and_valid``, ``kept_in_score_order``, ``kept_boxes_do_not_overlap``
and ``dropped_boxes_are_covered`` pin greedy NMS down completely: the kept list is visited in
score order, nothing kept is suppressed by an earlier kept box, and nothing dropped escaped one.

Rounding: a float32 solution may compute IoU in float32 or float64, in any order of operations,
so an IoU within a few float32 ulps of the threshold can fall either way. Random thresholds are
therefore moved at least ``MARGIN`` away from every achievable IoU of the example (``safe_threshold``),
and the boundary itself is tested only with IoUs that every correct solution computes exactly
(``iou_equal_to_threshold_is_kept``, ``iou_just_above_threshold_is_suppressed``).
"""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_equal, expect_tensor
from reference.ops.box_iou import box_iou as reference_box_iou
from reference.ops.nms import nms as reference_nms
from grader.suites.strategies import boxes, dtypes

suite = Suite("nms")

# float32 IoUs differ from the float64 ones by well under 1e-6; thresholds keep 1e-5 away.
MARGIN = 1e-5


# --- strategies ------------------------------------------------------------------------------------


def iou64(b: torch.Tensor) -> torch.Tensor:
    """IoU of every pair, computed in float64 (the truth the properties judge by)."""
    return reference_box_iou(b.double(), b.double())


def _is_knife_edge(t: float, ious: list[float]) -> bool:
    # IoUs of exactly 0 or 1 come out exact in every dtype, so they may sit on the threshold.
    return any(abs(v - t) < MARGIN and not (v == t and v in (0.0, 1.0)) for v in ious)


@st.composite
def safe_threshold(draw, b: torch.Tensor):
    """A threshold in [0, 1], moved off any IoU of ``b`` that rounding could put on either side."""
    t = draw(st.one_of(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]), st.floats(0.0, 1.0)))
    n = len(b)
    ious = iou64(b)[~torch.eye(n, dtype=torch.bool)].tolist() if n > 1 else []
    step = 2.5 * MARGIN
    for k in range(0, 1000):
        for candidate in (t + k * step, t - k * step):
            if 0.0 <= candidate <= 1.0 and not _is_knife_edge(candidate, ious):
                return candidate
    raise AssertionError("no safe threshold found")  # pragma: no cover - the gaps are far wider


@st.composite
def score_values(draw, n: int, dtype, *, distinct: bool = False):
    """``n`` scores: often from a few values (ties), sometimes arbitrary, or a shuffled ramp."""
    if distinct:
        ranks = draw(st.permutations(range(n)))
        values = [(r + 1) / (n + 1) for r in ranks]
    else:
        value = st.one_of(st.integers(0, 3).map(lambda v: v / 4), st.floats(0.0, 1.0, width=32))
        values = draw(st.lists(value, min_size=n, max_size=n))
    return torch.tensor(values, dtype=dtype).reshape(-1)


@st.composite
def crowded_row(draw, dtype, *, min_n: int = 0, max_n: int = 12):
    """Same-sized integer boxes jittered along a row: chains of overlaps where greedy order matters."""
    n = draw(st.integers(max(min_n, min(max_n, 4)), max_n))
    w, h = draw(st.integers(2, 12)), draw(st.integers(2, 12))
    rows = []
    for _ in range(n):
        x, y = draw(st.integers(0, 3 * w)), draw(st.integers(0, h // 2))
        rows.append([x, y, x + w, y + h])
    return torch.tensor(rows, dtype=dtype).reshape(-1, 4)


@st.composite
def nms_cases(draw, *, min_n: int = 0, max_n: int = 12, distinct: bool = False, integral: bool | None = None):
    """(boxes, scores, threshold): a crowded row of equal boxes, small integer boxes, or wide float ones."""
    dtype = draw(dtypes)
    kinds = ["row", "small"] if integral else ["row", "small", "wide"]
    kind = draw(st.sampled_from(kinds))
    if kind == "row":
        b = draw(crowded_row(dtype, min_n=min_n, max_n=max_n))
    elif kind == "small":
        b = draw(boxes(min_n=min_n, max_n=max_n, dtype=dtype, extent=40, max_side=30, integral=True))
    else:
        b = draw(boxes(min_n=min_n, max_n=max_n, dtype=dtype))
    s = draw(score_values(len(b), dtype, distinct=distinct))
    t = draw(safe_threshold(b))
    return b, s, t


def visiting_order(scores: torch.Tensor) -> list[int]:
    """Indices by descending score, the lower index first among equal scores."""
    return sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))


def kept_list(sol, b, s, t, what="nms(boxes, scores, iou_threshold)") -> list[int]:
    keep = sol.nms(b, s, t)
    expect_tensor(keep, what=what, dtype=torch.int64)
    expect(keep.dim() == 1, f"{what} should be 1-D, got shape {tuple(keep.shape)}")
    return [int(i) for i in keep.tolist()]


def _tensor(rows, dtype):
    return torch.tensor(rows, dtype=dtype).reshape(-1, 4)


# --- the output contract and the greedy characterization -------------------------------------------


@suite.property("returns a 1-D int64 tensor of indices, no longer than the number of boxes")
@given(case=nms_cases())
def output_contract(sol, case):
    b, s, t = case
    keep = sol.nms(b, s, t)
    expect_tensor(keep, what="nms(boxes, scores, iou_threshold)", dtype=torch.int64)
    expect(keep.dim() == 1, f"nms should return a 1-D tensor, got shape {tuple(keep.shape)}")
    expect(len(keep) <= len(b), f"nms returned {len(keep)} indices for {len(b)} boxes")


@suite.property("kept indices are unique and each is a valid row index of boxes (0 <= i < N)")
@given(case=nms_cases())
def indices_unique_and_valid(sol, case):
    b, s, t = case
    keep = kept_list(sol, b, s, t)
    outside = [i for i in keep if not 0 <= i < len(b)]
    expect(not outside, f"indices {outside} are not rows of a ({len(b)}, 4) boxes tensor; kept {keep}")
    repeated = sorted({i for i in keep if keep.count(i) > 1})
    expect(not repeated, f"indices {repeated} appear more than once in the result {keep}")


@suite.property(
    "kept indices come in the order they were kept: descending score, and among equal scores the lower index first"
)
@given(case=nms_cases())
def kept_in_score_order(sol, case):
    b, s, t = case
    keep = kept_list(sol, b, s, t)
    expect(all(0 <= i < len(b) for i in keep), f"result {keep} holds indices outside 0..{len(b) - 1}")
    for first, second in zip(keep, keep[1:]):
        a, c = float(s[first]), float(s[second])
        expect(
            a > c or (a == c and first < second),
            f"index {first} (score {a:g}) comes before index {second} (score {c:g}) in {keep}; "
            + ("equal scores are visited lower index first" if a == c else "higher scores must come first"),
        )


@suite.property("no two kept boxes overlap with an IoU strictly greater than the threshold")
@given(case=nms_cases())
def kept_boxes_do_not_overlap(sol, case):
    b, s, t = case
    context(iou_threshold=t)
    keep = kept_list(sol, b, s, t)
    expect(all(0 <= i < len(b) for i in keep), f"result {keep} holds indices outside 0..{len(b) - 1}")
    iou = iou64(b)
    for x, i in enumerate(keep):
        for j in keep[x + 1:]:
            expect(
                float(iou[i, j]) <= t,
                f"kept boxes {i} and {j} have IoU {float(iou[i, j]):.6g} > threshold {t:.6g}; "
                f"the lower-ranked one should have been suppressed",
            )


@suite.property(
    "no +1 pixel: boxes [0, 0, 2, 2] and [1, 0, 3, 2] have IoU 1/3, so at iou_threshold 0.4 both are kept "
    "(the old Pascal VOC width x2 - x1 + 1 makes it 1/2 and drops one)"
)
@given(dtype=dtypes, dx=st.integers(-1000, 1000), dy=st.integers(-1000, 1000))
def no_plus_one_pixel(sol, dtype, dx, dy):
    context(dx=dx, dy=dy)
    b = _tensor([[dx, dy, dx + 2, dy + 2], [dx + 1, dy, dx + 3, dy + 2]], dtype)
    keep = kept_list(sol, b, torch.tensor([0.9, 0.8], dtype=dtype), 0.4)
    expect(keep == [0, 1], f"kept {keep}, expected [0, 1]: these boxes are 2 wide and share one column, IoU "
                           f"2 / (4 + 4 - 2) = 1/3 <= 0.4; with a +1 pixel (width x2 - x1 + 1) it is 6 / 12 = 1/2")

@suite.property(
    "every dropped box has IoU above the threshold with a box that was KEPT before it "
    "(a box that was itself suppressed suppresses nothing)"
)
@given(case=nms_cases())
def dropped_boxes_are_covered(sol, case):
    b, s, t = case
    context(iou_threshold=t)
    keep = kept_list(sol, b, s, t)
    expect(all(0 <= i < len(b) for i in keep), f"result {keep} holds indices outside 0..{len(b) - 1}")
    iou = iou64(b)
    rank = {i: r for r, i in enumerate(visiting_order(s))}
    kept = set(keep)
    for i in range(len(b)):
        if i in kept:
            continue
        earlier = [k for k in keep if rank[k] < rank[i]]
        best = max((float(iou[i, k]) for k in earlier), default=0.0)
        expect(
            best > t,
            f"box {i} was dropped, but its largest IoU with a box kept before it is {best:.6g} "
            f"(threshold {t:.6g}); kept {keep}",
        )


@suite.property("returns exactly the reference's indices (integer and float boxes, ties, any threshold)")
@given(case=nms_cases())
def matches_reference(sol, case):
    b, s, t = case
    context(iou_threshold=t)
    keep = kept_list(sol, b, s, t)
    expect_equal(keep, reference_nms(b, s, t).tolist(), what="kept indices")


@suite.property(
    "returns the reference's indices beyond one 64-box block (65 to 150 boxes): kernels that split "
    "the suppression mask into 64-bit words must join the words correctly"
)
@given(case=nms_cases(min_n=65, max_n=150))
def many_boxes_match_reference(sol, case):
    b, s, t = case
    context(boxes=len(b), iou_threshold=t)
    keep = kept_list(sol, b, s, t)
    expect_equal(keep, reference_nms(b, s, t).tolist(), what="kept indices")


# --- worked example and fixed values ---------------------------------------------------------------


@suite.property(
    "worked example from the statement: five boxes, threshold 0.5, keep [0, 2, 4] "
    "(a tie, a suppressed box that suppresses nothing, and an IoU exactly at the threshold)"
)
@given(dtype=dtypes)
def worked_example(sol, dtype):
    b = _tensor([[0, 0, 4, 4], [1, 0, 5, 4], [2, 0, 6, 4], [0, 0, 4, 4], [0, 0, 4, 2]], dtype)
    s = torch.tensor([0.9, 0.8, 0.7, 0.9, 0.6], dtype=dtype)
    expect_equal(kept_list(sol, b, s, 0.5), [0, 2, 4], what="kept indices")


# Cross-checked with torchvision.ops.nms 0.29.1 (float32 and float64 agree); every IoU of these
# boxes is at least 0.0039 away from each threshold below, or exactly 0.
TV_BOXES = [
    [15, 12, 27, 24], [1, 6, 8, 17], [3, 27, 17, 49], [7, 39, 22, 43], [28, 1, 48, 8], [38, 31, 47, 51],
    [8, 17, 28, 28], [22, 10, 31, 14], [26, 32, 49, 37], [23, 38, 31, 44], [36, 0, 52, 5], [15, 31, 33, 53],
]
TV_SCORES = [0.75, 0.55, 0.9, 0.6, 0.7, 0.4, 0.65, 0.8, 0.35, 0.85, 0.5, 0.45]
TV_KEEP = {
    0.0: [2, 9, 7, 4, 1, 5],
    0.05: [2, 9, 7, 4, 6, 1, 5],
    0.1: [2, 9, 7, 0, 4, 1, 5],
    0.2: [2, 9, 7, 0, 4, 3, 1, 11, 5, 8],
    0.45: [2, 9, 7, 0, 4, 6, 3, 1, 10, 11, 5, 8],
}


@suite.property("agrees with torchvision.ops.nms on a fixed set of 12 boxes at thresholds 0, 0.05, 0.1, 0.2 and 0.45")
@given(dtype=dtypes, threshold=st.sampled_from(sorted(TV_KEEP)))
def torchvision_cross_check(sol, dtype, threshold):
    b = _tensor(TV_BOXES, dtype)
    s = torch.tensor(TV_SCORES, dtype=dtype)
    expect_equal(kept_list(sol, b, s, threshold), TV_KEEP[threshold], what=f"kept indices at threshold {threshold}")


# --- the threshold boundary, with IoUs every correct solution computes exactly ---------------------

# (box a, box b, inter, union): a pair of integer boxes and its exact intersection and union.
# Every solution computes inter / union with one correctly rounded division of exact values, so
# the threshold ``fl(inter / union)`` in the boxes' dtype is exactly what it compares against.
# Each ratio is exact in float32 or rounds UP there (checked with fractions.Fraction), so a
# float32 solution that upcasts to float64 sees an IoU at or below the threshold too, and keeps.
EXACT_PAIRS = [
    ([0, 0, 2, 1], [1, 0, 3, 1], 1, 3),  # 1/3: rounded, but by one division of exact integers
    ([0, 0, 4, 4], [0, 0, 4, 2], 8, 16),  # 1/2
    ([0, 0, 4, 1], [1, 0, 4, 1], 3, 4),  # 3/4
    ([0, 0, 2, 2], [1, 0, 3, 2], 2, 6),  # 1/3 again, from other areas
    ([0, 0, 5, 1], [1, 0, 5, 1], 4, 5),  # 4/5
    ([0, 0, 3, 3], [1, 1, 4, 4], 4, 14),  # 2/7
]


@st.composite
def boundary_pairs(draw):
    """Two boxes whose IoU is ``inter / union`` rounded once in the dtype, moved and scaled exactly."""
    dtype = draw(dtypes)
    a, c, inter, union = draw(st.sampled_from(EXACT_PAIRS))
    scale = 2.0 ** draw(st.integers(-2, 3))
    dx, dy = draw(st.integers(-1000, 1000)), draw(st.integers(-1000, 1000))
    rows = [[v * scale + off for v, off in zip(box, (dx, dy, dx, dy))] for box in (a, c)]
    if draw(st.booleans()):
        rows.reverse()
    b = _tensor(rows, dtype)
    iou = torch.tensor(inter, dtype=dtype) / torch.tensor(union, dtype=dtype)
    return b, iou, dtype


@suite.property(
    "a box whose IoU with a kept box EQUALS the threshold is kept: suppression needs IoU strictly greater"
)
@given(pair=boundary_pairs(), higher_first=st.booleans())
def iou_equal_to_threshold_is_kept(sol, pair, higher_first):
    b, iou, dtype = pair
    s = torch.tensor([0.9, 0.6] if higher_first else [0.6, 0.9], dtype=dtype)
    t = float(iou)
    context(iou_of_the_pair=t, iou_threshold=t)
    expected = [0, 1] if higher_first else [1, 0]
    expect_equal(kept_list(sol, b, s, t), expected, what="kept indices when the IoU equals the threshold")


@suite.property("a box whose IoU with a kept box is one float step above the threshold is suppressed")
@given(pair=boundary_pairs(), higher_first=st.booleans())
def iou_just_above_threshold_is_suppressed(sol, pair, higher_first):
    b, iou, dtype = pair
    s = torch.tensor([0.9, 0.6] if higher_first else [0.6, 0.9], dtype=dtype)
    # The next value below the IoU in the boxes' own dtype, so a float32 comparison sees it too.
    t = float(torch.nextafter(iou, torch.zeros_like(iou)))
    context(iou_of_the_pair=float(iou), iou_threshold=t)
    expect_equal(kept_list(sol, b, s, t), [0] if higher_first else [1], what="kept indices")


# --- edge cases that teach --------------------------------------------------------------------------


@suite.property(
    "a suppressed box suppresses nothing: in a chain A > B > C where A overlaps B and B overlaps C "
    "(but A barely overlaps C), the result is A then C"
)
@given(
    dtype=dtypes,
    width=st.integers(6, 40),
    step_tenths=st.integers(1, 3),
    height=st.integers(1, 20),
    origin=st.tuples(st.integers(-1000, 1000), st.integers(-1000, 1000)),
    perm=st.permutations([0, 1, 2]),
)
def suppressed_box_suppresses_nothing(sol, dtype, width, step_tenths, height, origin, perm):
    step = max(1, width * step_tenths // 10)  # between 1/10 and 3/10 of the width
    x0, y0 = origin
    chain = [[x0 + k * step, y0, x0 + k * step + width, y0 + height] for k in range(3)]  # A, B, C
    iou_ab = (width - step) / (width + step)
    iou_ac = (width - 2 * step) / (width + 2 * step)
    t = (iou_ab + iou_ac) / 2  # far from both: A suppresses B, but not C
    rows = [chain[k] for k in perm]  # row i holds chain[perm[i]]
    chain_scores = (0.9, 0.6, 0.3)
    b = _tensor(rows, dtype)
    s = torch.tensor([chain_scores[k] for k in perm], dtype=dtype)
    where = {k: i for i, k in enumerate(perm)}
    context(iou_A_B=iou_ab, iou_B_C=iou_ab, iou_A_C=iou_ac, iou_threshold=t)
    expect_equal(kept_list(sol, b, s, t), [where[0], where[2]], what="kept indices (A's row, then C's row)")


@suite.property("threshold 1 keeps every box (an IoU never exceeds 1), listed by descending score")
@given(case=nms_cases())
def threshold_one_keeps_everything(sol, case):
    b, s, _ = case
    context(iou_threshold=1.0)
    expect_equal(kept_list(sol, b, s, 1.0), visiting_order(s), what="kept indices at threshold 1")


@suite.property(
    "threshold 0 drops any box that overlaps a kept box at all; boxes that only touch along an edge both stay"
)
@given(case=nms_cases(integral=True))
def threshold_zero_keeps_disjoint_boxes(sol, case):
    b, s, _ = case
    context(iou_threshold=0.0)
    expect_equal(kept_list(sol, b, s, 0.0), reference_nms(b, s, 0.0).tolist(), what="kept indices at threshold 0")


@suite.property(
    "of several identical boxes only one survives: the highest score, the lowest index among equal scores"
)
@given(
    box=boxes(n=1, min_side=1.0),
    copies=st.integers(2, 6),
    data=st.data(),
    threshold=st.floats(0.0, 0.99),
)
def identical_boxes_keep_one(sol, box, copies, data, threshold):
    b = box[:1].repeat(copies, 1)
    s = data.draw(score_values(copies, b.dtype), label="scores")
    context(iou_threshold=threshold)
    expect_equal(kept_list(sol, b, s, threshold), visiting_order(s)[:1], what="kept indices of identical boxes")


@suite.property(
    "with all scores equal, boxes are visited in index order: the result is the same as for scores N, N-1, ..., 1"
)
@given(case=nms_cases(min_n=1))
def equal_scores_visit_in_index_order(sol, case):
    b, _, t = case
    n = len(b)
    context(iou_threshold=t)
    equal = kept_list(sol, b, torch.full((n,), 0.5, dtype=b.dtype), t, what="nms with all scores 0.5")
    ramp = kept_list(sol, b, torch.arange(n, 0, -1, dtype=b.dtype), t, what="nms with scores N, ..., 1")
    expect(equal == ramp, f"with equal scores kept {equal}, with scores N..1 kept {ramp}; they must agree")
    expect(equal[:1] == [0], f"with equal scores box 0 is visited first and always kept; got {equal}")


@suite.property("shuffling the rows (boxes and scores together) only relabels the kept indices")
@given(case=nms_cases(distinct=True), data=st.data())
def permutation_relabels(sol, case, data):
    b, s, t = case
    perm = data.draw(st.permutations(range(len(b))), label="permutation")
    p = torch.tensor(perm, dtype=torch.int64)
    context(iou_threshold=t)
    keep = kept_list(sol, b, s, t)
    shuffled = kept_list(sol, b[p], s[p], t, what="nms(boxes[perm], scores[perm], iou_threshold)")
    expect_equal([perm[i] for i in shuffled], keep, what="kept indices of the shuffled input, mapped back (perm[i])")


@st.composite
def flat_boxes(draw, dtype):
    """1 to 4 boxes of zero area: points, and segments with zero width or zero height."""
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        x, y, length = draw(st.integers(0, 40)), draw(st.integers(0, 40)), draw(st.integers(0, 30))
        rows.append([x, y, x + length, y] if draw(st.booleans()) else [x, y, x, y + length])
    return _tensor(rows, dtype)


@suite.property("boxes of zero area have IoU 0 with everything, so they are always kept and suppress nothing")
@given(case=nms_cases(integral=True), data=st.data())
def zero_area_boxes_always_kept(sol, case, data):
    b, s, t = case
    flat = data.draw(flat_boxes(b.dtype), label="zero-area boxes")
    flat_scores = data.draw(score_values(len(flat), b.dtype), label="their scores")
    context(iou_threshold=t)
    keep = kept_list(sol, torch.cat([flat, b]), torch.cat([flat_scores, s]), t)
    missing = [i for i in range(len(flat)) if i not in keep]
    expect(not missing, f"zero-area boxes {missing} (rows 0..{len(flat) - 1}) were dropped; kept {keep}")
    others = sorted(i - len(flat) for i in keep if i >= len(flat))
    expect_equal(others, sorted(reference_nms(b, s, t).tolist()), what="the other kept boxes, renumbered from 0")


@suite.property("no boxes give an empty int64 tensor of shape (0,)")
@given(dtype=dtypes, threshold=st.floats(0.0, 1.0))
def empty_input(sol, dtype, threshold):
    keep = sol.nms(torch.zeros((0, 4), dtype=dtype), torch.zeros((0,), dtype=dtype), threshold)
    expect_tensor(keep, what="nms of zero boxes", dtype=torch.int64, shape=(0,))


@suite.property("a single box is always kept: the result is tensor([0])")
@given(case=nms_cases(min_n=1, max_n=1))
def single_box(sol, case):
    b, s, t = case
    b, s = b[:1], s[:1]
    expect_equal(kept_list(sol, b, s, t), [0], what="kept indices of a single box")



# --- speed (graded for the kernel tracks against the compiled reference) ---------------------------

from grader.timing import Benchmark  # noqa: E402 - the benchmark section is self-contained
from grader.suites.box_iou import random_boxes  # noqa: E402

BENCHMARK_THRESHOLD = 0.5


def _benchmark_inputs(size: int, generator: torch.Generator):
    """N boxes on a 1000×1000 canvas with sides 1–100, uniform float32 scores, threshold 0.5."""
    b = random_boxes(size, generator)
    s = torch.rand(size, generator=generator, dtype=torch.float64).to(torch.float32)
    return b, s, BENCHMARK_THRESHOLD


def _check_timed_output(out, expected):
    expect_tensor(out, what="nms of a timed run", dtype=torch.int64)
    expect_equal(out.tolist(), expected.tolist(), what="kept indices of a timed run")


def _fast_nms(boxes, scores, iou_threshold):
    from reference import nms as compiled_nms

    return compiled_nms(boxes, scores, iou_threshold)


suite.benchmark = Benchmark(
    make_inputs=_benchmark_inputs,
    check=_check_timed_output,
    fast_reference=_fast_nms,
    readable_reference=reference_nms,
    unit="boxes",
)
