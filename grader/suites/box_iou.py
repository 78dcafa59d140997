"""Properties of pairwise box IoU, shared by every box_iou track."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from grader.timing import Benchmark
from reference.ops.box_iou import box_iou as reference_box_iou
from grader.suites.strategies import box_pairs, boxes, dtypes

suite = Suite("box_iou")

# float32 solutions round areas of boxes up to 1e4 wide; 1e-5 absolute still catches a +1 pixel.
ATOL, RTOL = 1e-5, 1e-4


def expected_iou(boxes1, boxes2):
    return reference_box_iou(boxes1.double(), boxes2.double())


@suite.property("returns an (N, M) tensor with the inputs' dtype (float32 in, float32 out; float64 in, float64 out)")
@given(pair=box_pairs(max_n=6))
def output_contract(sol, pair):
    boxes1, boxes2 = pair
    out = sol.box_iou(boxes1, boxes2)
    expect_tensor(out, what="box_iou(boxes1, boxes2)", dtype=boxes1.dtype, shape=(len(boxes1), len(boxes2)))


@suite.property("every entry equals intersection / union of the two boxes, with no +1 pixel")
@given(pair=box_pairs())
def matches_reference(sol, pair):
    boxes1, boxes2 = pair
    out = sol.box_iou(boxes1, boxes2)
    expect_tensor(out, what="box_iou(boxes1, boxes2)", shape=(len(boxes1), len(boxes2)))
    expect_close(out, expected_iou(boxes1, boxes2), what="IoU", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: [0,0,2,2] and [1,1,3,3] overlap with IoU 1/7")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=dtype)
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [2.0, 0.0, 4.0, 2.0]], dtype=dtype)
    out = sol.box_iou(a, b)
    expect_close(out, torch.tensor([[1 / 7, 0.0]]), what="IoU", atol=ATOL, rtol=RTOL)


@suite.property("is symmetric: box_iou(a, b) equals box_iou(b, a) transposed")
@given(pair=box_pairs())
def symmetric(sol, pair):
    boxes1, boxes2 = pair
    forward = sol.box_iou(boxes1, boxes2)
    backward = sol.box_iou(boxes2, boxes1)
    expect_close(forward, backward.T, what="box_iou(a, b) against box_iou(b, a).T", atol=ATOL, rtol=RTOL)


@suite.property("every value lies in [0, 1] and none is NaN, even for boxes of zero area")
@given(pair=box_pairs())
def in_unit_interval(sol, pair):
    out = sol.box_iou(*pair).double()
    expect(not bool(out.isnan().any()), f"found NaN in the output: {out.tolist()}")
    low, high = out.min().item() if out.numel() else 0.0, out.max().item() if out.numel() else 0.0
    expect(low >= 0.0 and high <= 1.0 + 1e-6, f"values must lie in [0, 1]; found min {low:.6g}, max {high:.6g}")


@suite.property("a box of positive area has IoU exactly 1 with itself")
@given(b=boxes(min_n=1, min_side=1.0))
def self_iou_is_one(sol, b):
    out = sol.box_iou(b, b)
    expect_close(out.diagonal(), torch.ones(len(b)), what="IoU of each box with itself", atol=ATOL, rtol=0)


@st.composite
def sub_pixel_boxes(draw):
    """Boxes near the origin with sides from 1e-4 to 1: an epsilon added to the union, or a floor
    under it, shows here (yolov5's +1e-7 gives a 1e-4 × 1e-4 box an IoU of 0.09 with itself)."""
    n = draw(st.integers(1, 6))
    corner = st.floats(-1, 1, width=32)
    side = st.sampled_from([1e-4, 3e-4, 1e-3, 1e-2, 0.1, 1.0])
    rows = []
    for _ in range(n):
        x1, y1 = draw(corner), draw(corner)
        rows.append([x1, y1, x1 + draw(side), y1 + draw(side)])
    return torch.tensor(rows, dtype=draw(dtypes))


@suite.property("a box of positive area has IoU exactly 1 with itself at sub-pixel sizes too: nothing added to the union")
@given(b=sub_pixel_boxes())
def self_iou_is_one_below_a_pixel(sol, b):
    out = sol.box_iou(b, b)
    expect_close(out.diagonal(), torch.ones(len(b)), what="IoU of each sub-pixel box with itself", atol=ATOL, rtol=0)


@suite.property("boxes of zero area have IoU 0 with everything, never NaN (the union is 0)")
@given(b=boxes(min_n=1, max_side=0.0), others=boxes(min_n=1))
def degenerate_boxes_give_zero(sol, b, others):
    others = others.to(b.dtype)
    out = sol.box_iou(b, torch.cat([b, others]))
    expect_close(out, torch.zeros_like(out), what="IoU of zero-area boxes", atol=0, rtol=0)


@suite.property("boxes that do not overlap, or only touch along an edge, have IoU 0")
@given(b=boxes(min_n=1, min_side=1.0, integral=True), gap=st.integers(0, 50))
def disjoint_boxes_give_zero(sol, b, gap):
    context(gap=gap)
    shifted = b.clone()
    widths = b[:, 2] - b[:, 0]
    shifted[:, 0] += widths + gap
    shifted[:, 2] += widths + gap
    out = sol.box_iou(b, shifted).diagonal()
    expect_close(out, torch.zeros_like(out), what="IoU of each box with a copy moved right past it", atol=0, rtol=0)


@suite.property("translating both sets by the same offset changes nothing")
@given(pair=box_pairs(integral=True, extent=1000), dx=st.integers(-1000, 1000), dy=st.integers(-1000, 1000))
def translation_invariant(sol, pair, dx, dy):
    boxes1, boxes2 = pair
    context(dx=dx, dy=dy)
    offset = torch.tensor([dx, dy, dx, dy], dtype=boxes1.dtype)
    moved = sol.box_iou(boxes1 + offset, boxes2 + offset)
    expect_close(moved, sol.box_iou(boxes1, boxes2), what="IoU after translating both sets", atol=ATOL, rtol=RTOL)


@suite.property("scaling both sets by the same factor changes nothing")
@given(pair=box_pairs(integral=True, extent=1000), power=st.integers(-3, 3))
def scale_invariant(sol, pair, power):
    boxes1, boxes2 = pair
    factor = 2.0**power
    context(factor=factor)
    scaled = sol.box_iou(boxes1 * factor, boxes2 * factor)
    expect_close(scaled, sol.box_iou(boxes1, boxes2), what="IoU after scaling both sets", atol=ATOL, rtol=RTOL)


@suite.property("empty inputs give an empty (N, 0) or (0, M) result")
@given(b=boxes(max_n=4))
def empty_inputs(sol, b):
    empty = b[:0]
    for first, second in ((b, empty), (empty, b)):
        out = sol.box_iou(first, second)
        expect_tensor(out, what="box_iou with an empty side", dtype=b.dtype, shape=(len(first), len(second)))


# --- speed: what kernel tracks are timed on ---------------------------------------------------------


def random_boxes(n: int, generator: torch.Generator, dtype=torch.float32) -> torch.Tensor:
    """Boxes on a 1000×1000 canvas with sides 1–100, the distribution of the benchmarks."""
    corners = torch.rand(n, 2, generator=generator, dtype=torch.float64) * 1000
    sides = 1 + torch.rand(n, 2, generator=generator, dtype=torch.float64) * 99
    return torch.cat([corners, corners + sides], dim=1).to(dtype)


def _benchmark_inputs(size: int, generator: torch.Generator):
    return random_boxes(size, generator), random_boxes(size, generator)


def _check_timed_output(out, expected):
    expect_close(out, expected, what="IoU of a timed run", atol=ATOL, rtol=RTOL)


def _fast_box_iou(boxes1, boxes2):
    from reference import box_iou as compiled_box_iou

    return compiled_box_iou(boxes1, boxes2)


suite.benchmark = Benchmark(
    make_inputs=_benchmark_inputs,
    check=_check_timed_output,
    fast_reference=_fast_box_iou,
    readable_reference=reference_box_iou,
    unit="IoUs",
    work=lambda size: float(size * size),
)
