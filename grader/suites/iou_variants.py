"""Properties of GIoU, DIoU and CIoU (pairwise, as torchvision.ops defines them)."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from reference.ops.box_iou import box_iou as reference_box_iou
from reference.ops.iou_variants import complete_box_iou as reference_ciou
from reference.ops.iou_variants import distance_box_iou as reference_diou
from reference.ops.iou_variants import generalized_box_iou as reference_giou
from grader.suites.strategies import box_pairs, boxes, dtypes

# Tiny tensors: intra-op threads only add synchronisation on a busy machine (this worker only).
torch.set_num_threads(1)

suite = Suite("iou_variants")

# Every value lies in [-1, 1]; float32 solutions on corners up to 1e3 stay within ~1e-6 of float64.
ATOL, RTOL = 1e-5, 1e-4
FUNCTIONS = ("generalized_box_iou", "distance_box_iou", "complete_box_iou")
REFERENCES = {"generalized_box_iou": reference_giou, "distance_box_iou": reference_diou, "complete_box_iou": reference_ciou}


def positive_pairs(**kwargs):
    """Two box sets of one dtype, every box with sides of at least 1, corners within ±1000."""
    return box_pairs(min_side=1.0, extent=1000, **kwargs)


def run(sol, name, a, b):
    out = getattr(sol, name)(a, b)
    expect_tensor(out, what=f"{name}(boxes1, boxes2)", shape=(len(a), len(b)))
    return out


@suite.property("each function returns an (N, M) tensor with the inputs' dtype (float32 in, float32 out; float64 in, float64 out)")
@given(pair=positive_pairs(max_n=5))
def output_contract(sol, pair):
    a, b = pair
    for name in FUNCTIONS:
        expect_tensor(getattr(sol, name)(a, b), what=f"{name}(boxes1, boxes2)", dtype=a.dtype, shape=(len(a), len(b)))


def _matches(sol, pair, name):
    a, b = pair
    out = run(sol, name, a, b)
    expect_close(out, REFERENCES[name](a.double(), b.double()), what=name, atol=ATOL, rtol=RTOL)


@suite.property("generalized_box_iou is IoU - (C - U) / C, with C the area of the smallest box enclosing both and U their union")
@given(pair=positive_pairs())
def giou_matches_reference(sol, pair):
    _matches(sol, pair, "generalized_box_iou")


@suite.property("distance_box_iou is IoU - d² / (c² + eps), d the distance between the centres, c the diagonal of the enclosing box")
@given(pair=positive_pairs())
def diou_matches_reference(sol, pair):
    _matches(sol, pair, "distance_box_iou")


@suite.property("complete_box_iou is DIoU - alpha·v with v = 4/pi²·(atan(w1/h1) - atan(w2/h2))² and alpha = v / (1 - IoU + v + eps)")
@given(pair=positive_pairs())
def ciou_matches_reference(sol, pair):
    _matches(sol, pair, "complete_box_iou")


@suite.property(
    "worked example from the statement: [0,0,2,2] against [1,1,3,3] and [1,0,5,2] gives GIoU [-5/63, 0.2], "
    "DIoU [2/63, 0.2 - 4/29], CIoU [2/63, 0.059978]"
)
@given(dtype=dtypes)
def worked_example(sol, dtype):
    a = torch.tensor([[0, 0, 2, 2]], dtype=dtype)
    b = torch.tensor([[1, 1, 3, 3], [1, 0, 5, 2]], dtype=dtype)
    expected = {
        "generalized_box_iou": [[-5 / 63, 0.2]],
        "distance_box_iou": [[2 / 63, 0.2 - 4 / 29]],
        "complete_box_iou": [[2 / 63, 0.059978188]],
    }
    for name, values in expected.items():
        expect_close(run(sol, name, a, b), torch.tensor(values, dtype=torch.float64), what=name, atol=ATOL, rtol=RTOL)


@suite.property("cross-check with torchvision.ops: GIoU, DIoU and CIoU of three fixed boxes against four fixed boxes equal the library's values")
@given(dtype=dtypes)
def torchvision_values(sol, dtype):
    a = torch.tensor([[0, 0, 2, 2], [3.5, -1, 7, 4.5], [-20, 5, -2, 9]], dtype=dtype)
    b = torch.tensor([[1, 1, 3, 3], [1, 0, 5, 2], [4, 0, 6, 3], [30, 30, 31, 40]], dtype=dtype)
    expected = {
        "generalized_box_iou": [[-0.079365079, 0.2, -0.444444444, -0.988709677],
                                [-0.295454545, -0.141440175, 0.311688312, -0.97405765],
                                [-0.586956522, -0.644444444, -0.666666667, -0.954061625]],
        "distance_box_iou": [[0.031746032, 0.062068966, -0.36111111, -0.791194846],
                             [-0.160377358, 0.03880568, 0.308747135, -0.715201559],
                             [-0.327150084, -0.328611898, -0.378137384, -0.655057501]],
        "complete_box_iou": [[0.031746032, 0.059978188, -0.361356618, -0.821700129],
                             [-0.16074577, 0.024720165, 0.308747086, -0.722383144],
                             [-0.342142756, -0.329189457, -0.423420278, -0.902148514]],
    }
    for name, values in expected.items():
        expect_close(run(sol, name, a, b), torch.tensor(values, dtype=torch.float64), what=name, atol=ATOL, rtol=RTOL)


@suite.property("the penalties only subtract: CIoU <= DIoU <= IoU and GIoU <= IoU; GIoU and DIoU stay above -1, CIoU above -1.5 (its shape term adds at most 0.5 when IoU is 0)")
@given(pair=positive_pairs())
def penalties_only_subtract(sol, pair):
    a, b = pair
    iou = reference_box_iou(a.double(), b.double())
    giou, diou, ciou = (run(sol, name, a, b).double() for name in FUNCTIONS)
    for label, low, high in (("GIoU <= IoU", giou, iou), ("DIoU <= IoU", diou, iou), ("CIoU <= DIoU", ciou, diou)):
        bad = torch.nonzero(low > high + ATOL).tolist()
        expect(not bad, f"{label} fails at {bad[0] if bad else ''}: {low[tuple(bad[0])].item() if bad else 0:.6g} > {high[tuple(bad[0])].item() if bad else 0:.6g}")
    for label, values, floor in (("GIoU", giou, -1.0), ("DIoU", diou, -1.0), ("CIoU", ciou, -1.5)):
        expect(bool((values > floor - ATOL).all()) and not bool(values.isnan().any()), f"{label} must lie above {floor} and never be NaN: {values.tolist()}")


@suite.property("all three are symmetric: f(a, b) equals f(b, a) transposed")
@given(pair=positive_pairs())
def symmetric(sol, pair):
    a, b = pair
    for name in FUNCTIONS:
        expect_close(run(sol, name, a, b), run(sol, name, b, a).T, what=f"{name}(a, b) against {name}(b, a).T", atol=ATOL, rtol=RTOL)


@suite.property("a box compared with itself scores exactly 1 in all three")
@given(b=boxes(min_n=1, min_side=1.0, extent=1000))
def self_is_one(sol, b):
    for name in FUNCTIONS:
        expect_close(run(sol, name, b, b).diagonal(), torch.ones(len(b)), what=f"{name} of each box with itself", atol=ATOL, rtol=0)


@suite.property("when one box contains the other, the enclosing box is the union, so GIoU equals IoU")
@given(outer=boxes(min_n=1, max_n=6, min_side=4.0, extent=1000, integral=True), fractions=st.lists(st.integers(0, 4), min_size=4, max_size=4))
def giou_equals_iou_when_nested(sol, outer, fractions):
    # Shrink each box by a quarter-step per side, staying inside it.
    w = (outer[:, 2] - outer[:, 0])[:, None]
    h = (outer[:, 3] - outer[:, 1])[:, None]
    f = torch.tensor(fractions, dtype=outer.dtype) / 16
    inner = outer + torch.cat([w * f[0], h * f[1], -w * f[2], -h * f[3]], dim=1)
    context(inner=inner)
    giou = run(sol, "generalized_box_iou", outer, inner).diagonal()
    expect_close(giou, reference_box_iou(outer.double(), inner.double()).diagonal(), what="GIoU of each box with a box inside it", atol=ATOL, rtol=RTOL)


@suite.property("boxes with the same centre have DIoU equal to IoU; boxes with the same aspect ratio have CIoU equal to DIoU")
@given(base=boxes(min_n=1, max_n=6, min_side=1.0, extent=1000, integral=True), power=st.integers(-2, 3), dx=st.integers(-50, 50))
def centre_and_shape_terms(sol, base, power, dx):
    factor = 2.0**power
    context(factor=factor, dx=dx)
    centre = (base[:, :2] + base[:, 2:]) / 2
    half = (base[:, 2:] - base[:, :2]) / 2 * factor
    scaled = torch.cat([centre - half, centre + half], dim=1)  # same centre, same aspect ratio
    iou = reference_box_iou(base.double(), scaled.double()).diagonal()
    expect_close(run(sol, "distance_box_iou", base, scaled).diagonal(), iou, what="DIoU of concentric boxes against their IoU", atol=ATOL, rtol=RTOL)
    moved = scaled + torch.tensor([dx, 0, dx, 0], dtype=base.dtype)  # same aspect ratio, centres apart
    expect_close(run(sol, "complete_box_iou", base, moved).diagonal(), run(sol, "distance_box_iou", base, moved).diagonal(),
                 what="CIoU against DIoU for boxes of the same aspect ratio", atol=ATOL, rtol=RTOL)


@suite.property("unlike IoU, GIoU and DIoU keep falling as two disjoint boxes move further apart")
@given(side=st.integers(1, 20), gap=st.integers(0, 100), extra=st.integers(1, 100), dtype=dtypes)
def disjoint_boxes_keep_falling(sol, side, gap, extra, dtype):
    context(gap=gap, extra=extra)
    a = torch.tensor([[0, 0, side, side]], dtype=dtype)
    near = torch.tensor([[side + gap, 0, 2 * side + gap, side]], dtype=dtype)
    far = near + torch.tensor([extra, 0, extra, 0], dtype=dtype)
    for name in ("generalized_box_iou", "distance_box_iou"):
        close_value = run(sol, name, a, near).item()
        far_value = run(sol, name, a, far).item()
        expect(far_value < close_value, f"{name}: moving the second box {extra} further away should lower it, got {close_value:.6g} then {far_value:.6g}")


@suite.property("translating or scaling both sets by the same amount changes none of the three")
@given(pair=box_pairs(min_side=1.0, extent=500, integral=True), dx=st.integers(-500, 500), dy=st.integers(-500, 500), power=st.integers(-2, 2))
def translation_and_scale_invariant(sol, pair, dx, dy, power):
    a, b = pair
    factor = 2.0**power
    context(dx=dx, dy=dy, factor=factor)
    offset = torch.tensor([dx, dy, dx, dy], dtype=a.dtype)
    for name in FUNCTIONS:
        moved = run(sol, name, a * factor + offset, b * factor + offset)
        expect_close(moved, run(sol, name, a, b), what=f"{name} after scaling and translating both sets", atol=ATOL, rtol=RTOL)


@suite.property("eps is added to the squared diagonal of the enclosing box (eps=1 on the worked example gives DIoU 0.2 - 4/30)")
@given(dtype=dtypes)
def eps_in_denominator(sol, dtype):
    a = torch.tensor([[0, 0, 2, 2]], dtype=dtype)
    b = torch.tensor([[1, 0, 5, 2]], dtype=dtype)
    out = sol.distance_box_iou(a, b, eps=1.0)
    expect_close(out, torch.tensor([[0.2 - 4 / 30]], dtype=torch.float64), what="distance_box_iou(a, b, eps=1.0)", atol=ATOL, rtol=RTOL)
    expected = reference_ciou(a.double(), b.double(), eps=1.0)
    expect_close(sol.complete_box_iou(a, b, eps=1.0), expected, what="complete_box_iou(a, b, eps=1.0)", atol=ATOL, rtol=RTOL)


@suite.property("empty inputs give an empty (N, 0) or (0, M) result")
@given(b=boxes(max_n=4, min_side=1.0, extent=1000))
def empty_inputs(sol, b):
    empty = b[:0]
    for name in FUNCTIONS:
        for first, second in ((b, empty), (empty, b)):
            expect_tensor(getattr(sol, name)(first, second), what=f"{name} with an empty side", dtype=b.dtype, shape=(len(first), len(second)))
