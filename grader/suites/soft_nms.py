"""Properties of Soft-NMS (linear, gaussian and hard decay)."""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_equal, expect_tensor
from reference.ops.box_iou import box_iou as reference_box_iou
from reference.ops.nms import nms as reference_nms
from reference.ops.soft_nms import decay_factor
from grader.suites.strategies import boxes, dtypes

# Tiny tensors: intra-op threads only add synchronisation on a busy machine (this worker only).
torch.set_num_threads(1)

suite = Suite("soft_nms")

# Scores live in [0, 1]; float32 solutions repeat a few multiplications, so 1e-5 absolute is plenty.
ATOL, RTOL = 1e-5, 1e-4
METHODS = ("linear", "gaussian", "hard")
# Dyadic thresholds: an IoU of integer boxes is never within rounding distance of them, so float32
# and float64 solutions take the same "> iou_threshold" decisions.
IOU_THRESHOLDS = st.sampled_from([0.125, 0.25, 0.5, 0.75])
SIGMAS = st.sampled_from([0.1, 0.5, 1.0, 2.0])
SCORE_THRESHOLDS = st.sampled_from([0.001, 0.0625, 0.25, 0.5])


@st.composite
def detections(draw, min_n=0, max_n=8, dtype=None):
    """Integer boxes crowded into a small area (so they overlap) and scores in (0, 1], ties included."""
    dtype = dtype or draw(dtypes)
    b = draw(boxes(min_n=min_n, max_n=max_n, extent=40, min_side=1, max_side=40, integral=True, dtype=dtype))
    score = st.one_of(st.integers(1, 16).map(lambda k: k / 16), st.floats(0.015625, 1.0, width=32))
    s = draw(st.lists(score, min_size=len(b), max_size=len(b)))
    return b, torch.tensor(s, dtype=dtype)


def call(sol, b, s, method, sigma=0.5, iou_threshold=0.3, score_threshold=0.001):
    out = sol.soft_nms(b, s, method=method, sigma=sigma, iou_threshold=iou_threshold, score_threshold=score_threshold)
    expect(isinstance(out, tuple) and len(out) == 2, f"soft_nms should return a tuple (keep, kept_scores), got {type(out).__name__}")
    return out


@suite.property("returns (keep, kept_scores): keep is a 1-D int64 tensor, kept_scores a 1-D tensor of the scores' dtype and the same length")
@given(det=detections(), method=st.sampled_from(METHODS))
def output_contract(sol, det, method):
    b, s = det
    keep, kept_scores = call(sol, b, s, method)
    expect_tensor(keep, what="keep", dtype=torch.int64)
    expect(keep.dim() == 1, f"keep should be 1-D, got shape {tuple(keep.shape)}")
    expect_tensor(kept_scores, what="kept_scores", dtype=s.dtype, shape=tuple(keep.shape))


@suite.property(
    "no +1 pixel: boxes [0, 0, 2, 2] and [1, 0, 3, 2] have IoU 1/3, so linear decay at iou_threshold 0.3 leaves "
    "the second score 0.8 x 2/3 (the old Pascal VOC width x2 - x1 + 1 makes the IoU 1/2 and the score 0.4)"
)
@given(dtype=dtypes, dx=st.integers(-1000, 1000), dy=st.integers(-1000, 1000))
def no_plus_one_pixel(sol, dtype, dx, dy):
    context(dx=dx, dy=dy)
    b = torch.tensor([[dx, dy, dx + 2, dy + 2], [dx + 1, dy, dx + 3, dy + 2]], dtype=dtype)
    keep, kept_scores = call(sol, b, torch.tensor([0.9, 0.8], dtype=dtype), "linear", iou_threshold=0.3)
    expect_equal(keep, torch.tensor([0, 1]), what="keep")
    expect_close(kept_scores, torch.tensor([0.9, 0.8 * 2 / 3], dtype=torch.float64), atol=ATOL, rtol=RTOL,
                 what="kept_scores: these boxes are 2 wide and share one column, IoU 2 / (4 + 4 - 2) = 1/3, decay 1 - 1/3; "
                      "with a +1 pixel (width x2 - x1 + 1) the IoU is 6 / 12 = 1/2")


@suite.property(
    "follows the Soft-NMS loop: each pick is the remaining box with the highest current score (lower index on ties), "
    "its score at that moment is reported, every other remaining score is then decayed, and the loop stops "
    "only when the best remaining score is below score_threshold"
)
@given(det=detections(), method=st.sampled_from(METHODS), sigma=SIGMAS, iou_threshold=IOU_THRESHOLDS,
       score_threshold=SCORE_THRESHOLDS)
def matches_reference(sol, det, method, sigma, iou_threshold, score_threshold):
    b, s = det
    keep, kept_scores = call(sol, b, s, method, sigma, iou_threshold, score_threshold)
    expect_tensor(keep, what="keep", shape=(len(keep),))
    expect_tensor(kept_scores, what="kept_scores", shape=(len(keep),))
    # Replay the loop in float64 along the solution's own picks, so near-equal scores that float32
    # rounding orders differently are accepted, while every real deviation is named at its step.
    iou = reference_box_iou(b.double(), b.double())
    current = s.double().clone()
    remaining = torch.ones(len(s), dtype=torch.bool)
    for step, (pick, reported) in enumerate(zip(keep.tolist(), kept_scores.double().tolist())):
        expect(0 <= pick < len(s), f"step {step}: keep holds {pick}, which is not an index into the {len(s)} boxes")
        expect(bool(remaining[pick]), f"step {step}: box {pick} was already selected earlier")
        masked = torch.where(remaining, current, torch.full_like(current, -math.inf))
        best = int(torch.argmax(masked))
        expect(
            current[pick] >= current[best] - ATOL,
            f"step {step}: picked box {pick} with current score {current[pick].item():.6g}, but box {best} "
            f"has the higher current score {current[best].item():.6g} (scores decay after every pick; re-rank each time)",
        )
        lower = [j for j in range(pick) if remaining[j] and current[j] == current[pick]]
        expect(not lower, f"step {step}: boxes {pick} and {lower[0] if lower else ''} tie at {current[pick].item():.6g}; the lower index goes first")
        expect(
            current[pick] >= score_threshold - ATOL,
            f"step {step}: box {pick} has current score {current[pick].item():.6g}, below score_threshold {score_threshold}; the loop should have stopped",
        )
        expect_close(reported, current[pick], what=f"kept_scores[{step}] (score of box {pick} when it was picked)", atol=ATOL, rtol=RTOL)
        remaining[pick] = False
        current = current * decay_factor(iou[pick], method, sigma, iou_threshold)
    if bool(remaining.any()):
        masked = torch.where(remaining, current, torch.full_like(current, -math.inf))
        best = int(torch.argmax(masked))
        expect(
            current[best] < score_threshold + ATOL,
            f"stopped too early after {len(keep)} picks: box {best} still has current score {current[best].item():.6g}, "
            f"which reaches score_threshold {score_threshold}",
        )


@suite.property(
    "worked example from the statement: A=[0,0,2,2] 0.9, B=[1,0,3,2] 0.8, C=[10,10,12,12] 0.7 (IoU(A,B)=1/3) "
    "gives linear [0,2,1] with scores [0.9,0.7,0.8·2/3], gaussian [0,2,1] with [0.9,0.7,0.8·exp(-2/9)], hard [0,2]"
)
@given(dtype=dtypes)
def worked_example(sol, dtype):
    b = torch.tensor([[0, 0, 2, 2], [1, 0, 3, 2], [10, 10, 12, 12]], dtype=dtype)
    s = torch.tensor([0.9, 0.8, 0.7], dtype=dtype)
    expected = {
        "linear": ([0, 2, 1], [0.9, 0.7, 0.8 * 2 / 3]),
        "gaussian": ([0, 2, 1], [0.9, 0.7, 0.8 * math.exp(-2 / 9)]),
        "hard": ([0, 2], [0.9, 0.7]),
    }
    for method, (order, values) in expected.items():
        keep, kept_scores = sol.soft_nms(b, s, method=method, sigma=0.5, iou_threshold=0.3, score_threshold=0.001)
        expect_equal(keep, torch.tensor(order), what=f"keep for method={method!r}")
        expect_close(kept_scores, torch.tensor(values, dtype=torch.float64), what=f"kept_scores for method={method!r}", atol=ATOL, rtol=RTOL)


@suite.property("the defaults are method='gaussian', sigma=0.5, iou_threshold=0.3, score_threshold=0.001")
@given(dtype=dtypes)
def default_arguments(sol, dtype):
    b = torch.tensor([[0, 0, 2, 2], [1, 0, 3, 2], [10, 10, 12, 12], [0, 0, 2, 2]], dtype=dtype)
    s = torch.tensor([0.9, 0.8, 0.7, 0.0009], dtype=dtype)
    keep, kept_scores = sol.soft_nms(b, s)
    expect_equal(keep, torch.tensor([0, 2, 1]), what="keep with the default arguments")
    expect_close(kept_scores, torch.tensor([0.9, 0.7, 0.8 * math.exp(-2 / 9)], dtype=torch.float64),
                 what="kept_scores with the default arguments", atol=ATOL, rtol=RTOL)


@suite.property(
    "cross-check with torchvision.ops.nms: in hard mode, six fixed boxes with score_threshold 0.1 keep "
    "[1, 5, 3] at iou_threshold 0.3 and [1, 5, 2, 3] at 0.5"
)
@given(dtype=dtypes)
def torchvision_hard_values(sol, dtype):
    b = torch.tensor([[0, 0, 4, 4], [1, 0, 5, 4], [0, 1, 4, 5], [8, 8, 12, 12], [9, 8, 13, 12], [2, 2, 6, 6]], dtype=dtype)
    s = torch.tensor([0.5, 0.9, 0.5, 0.2, 0.05, 0.7], dtype=dtype)
    for threshold, expected in ((0.3, [1, 5, 3]), (0.5, [1, 5, 2, 3])):
        keep, kept_scores = sol.soft_nms(b, s, method="hard", iou_threshold=threshold, score_threshold=0.1)
        expect_equal(keep, torch.tensor(expected), what=f"keep in hard mode at iou_threshold {threshold}")
        expect_close(kept_scores, s.double()[expected], what=f"kept_scores in hard mode at iou_threshold {threshold}", atol=ATOL, rtol=RTOL)


@suite.property(
    "method='hard' is plain greedy NMS run on the boxes whose score reaches score_threshold "
    "(a box whose score equals the threshold is kept), with their scores unchanged"
)
@given(det=detections(), iou_threshold=IOU_THRESHOLDS, score_threshold=SCORE_THRESHOLDS)
def hard_equals_nms(sol, det, iou_threshold, score_threshold):
    b, s = det
    keep, kept_scores = call(sol, b, s, "hard", 0.5, iou_threshold, score_threshold)
    candidates = torch.nonzero(s >= score_threshold).flatten()
    expected = candidates[reference_nms(b[candidates].double(), s[candidates].double(), iou_threshold)]
    context(boxes_reaching_threshold=candidates)
    expect_equal(keep, expected, what="keep in hard mode against NMS on the boxes reaching score_threshold")
    expect_close(kept_scores, s.double()[expected], what="kept_scores in hard mode (scores are never decayed, only zeroed)", atol=0, rtol=0)


@suite.property(
    "linear and hard decay only boxes whose IoU with the picked box is strictly greater than iou_threshold: "
    "two boxes with IoU exactly 0.5 at iou_threshold 0.5 keep both scores"
)
@given(dtype=dtypes, method=st.sampled_from(["linear", "hard"]), shift=st.integers(-100, 100))
def strict_threshold(sol, dtype, method, shift):
    context(shift=shift)
    # [0,0,3,1] and [1,0,4,1]: intersection 2, union 4, IoU exactly 0.5.
    b = torch.tensor([[0, 0, 3, 1], [1, 0, 4, 1]], dtype=dtype) + shift
    s = torch.tensor([0.9, 0.6], dtype=dtype)
    keep, kept_scores = sol.soft_nms(b, s, method=method, iou_threshold=0.5, score_threshold=0.001)
    expect_equal(keep, torch.tensor([0, 1]), what=f"keep for method={method!r}")
    expect_close(kept_scores, torch.tensor([0.9, 0.6], dtype=dtype).double(), what=f"kept_scores for method={method!r} (IoU 0.5 is not > 0.5)", atol=ATOL, rtol=RTOL)


@suite.property("the gaussian decay touches every overlapping box, whatever iou_threshold says: exp(-IoU²/sigma)")
@given(dtype=dtypes, sigma=SIGMAS, iou_threshold=st.sampled_from([0.5, 0.75, 0.9]))
def gaussian_ignores_threshold(sol, dtype, sigma, iou_threshold):
    # IoU 0.5, below every threshold drawn here; gaussian still decays the second box.
    b = torch.tensor([[0, 0, 3, 1], [1, 0, 4, 1]], dtype=dtype)
    s = torch.tensor([0.9, 0.6], dtype=dtype)
    keep, kept_scores = sol.soft_nms(b, s, method="gaussian", sigma=sigma, iou_threshold=iou_threshold, score_threshold=0.001)
    expect_equal(keep, torch.tensor([0, 1]), what="keep")
    expect_close(kept_scores, torch.tensor([0.9, 0.6 * math.exp(-0.25 / sigma)], dtype=torch.float64),
                 what="kept_scores (second = 0.6·exp(-0.5²/sigma))", atol=ATOL, rtol=RTOL)


@suite.property("the reported scores never increase along keep, never exceed a box's original score, and all reach score_threshold")
@given(det=detections(), method=st.sampled_from(METHODS), sigma=SIGMAS, iou_threshold=IOU_THRESHOLDS,
       score_threshold=SCORE_THRESHOLDS)
def scores_only_decay(sol, det, method, sigma, iou_threshold, score_threshold):
    b, s = det
    keep, kept_scores = call(sol, b, s, method, sigma, iou_threshold, score_threshold)
    expect_tensor(kept_scores, what="kept_scores", shape=(len(keep),))
    k = kept_scores.double()
    if len(k) > 1:
        rises = torch.nonzero(k[1:] > k[:-1] + ATOL).flatten().tolist()
        expect(not rises, f"kept_scores rises at position {rises[0] + 1 if rises else ''}: {k.tolist()}; every pick is the current maximum and scores only decay")
    if len(keep):
        original = s.double()[keep]
        above = torch.nonzero(k > original + ATOL).flatten().tolist()
        expect(not above, f"kept_scores[{above[0] if above else ''}] exceeds that box's original score; decay factors are at most 1")
        expect(bool((k >= score_threshold - ATOL).all()), f"kept_scores {k.tolist()} contains a score below score_threshold {score_threshold}")


@suite.property("boxes that do not overlap are never decayed: every box at or above score_threshold is kept, by descending score, lower index first on ties")
@given(scores=st.lists(st.integers(0, 8).map(lambda k: k / 8), min_size=1, max_size=8), dtype=dtypes,
       method=st.sampled_from(METHODS))
def disjoint_boxes_sorted(sol, scores, dtype, method):
    n = len(scores)
    b = torch.tensor([[3 * i, 0, 3 * i + 2, 2] for i in range(n)], dtype=dtype)
    s = torch.tensor(scores, dtype=dtype)
    keep, kept_scores = sol.soft_nms(b, s, method=method, iou_threshold=0.3, score_threshold=0.25)
    order = torch.sort(s.double(), descending=True, stable=True).indices
    expected = order[s.double()[order] >= 0.25]
    expect_equal(keep, expected, what="keep for side-by-side boxes (no overlaps)")
    expect_close(kept_scores, s.double()[expected], what="kept_scores for side-by-side boxes", atol=0, rtol=0)


@suite.property("no boxes in gives empty keep (int64) and empty kept_scores")
@given(dtype=dtypes, method=st.sampled_from(METHODS))
def empty_input(sol, dtype, method):
    keep, kept_scores = sol.soft_nms(torch.zeros(0, 4, dtype=dtype), torch.zeros(0, dtype=dtype), method=method)
    expect_tensor(keep, what="keep", dtype=torch.int64, shape=(0,))
    expect_tensor(kept_scores, what="kept_scores", dtype=dtype, shape=(0,))
