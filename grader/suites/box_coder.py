"""Properties of the Faster R-CNN box coder (encode_boxes / decode_boxes)."""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from reference.ops.box_coder import decode_boxes as reference_decode
from reference.ops.box_coder import encode_boxes as reference_encode
from grader.suites.strategies import dtypes

# Tiny tensors: intra-op threads only add synchronisation on a busy machine (this worker only).
torch.set_num_threads(1)

suite = Suite("box_coder")

# Integer corners keep centres and sides exact in float32, so encoded deltas agree to ~1e-7 relative.
ENC_ATOL, ENC_RTOL = 1e-5, 1e-5
# Decoded corners can reach a few thousand and come from cx - w/2 with both terms large:
# float32 rounding there is a few 1e-4 in absolute terms.
DEC_ATOL, DEC_RTOL = 1e-3, 1e-5
DEFAULT_CLIP = math.log(1000 / 16)
WEIGHTS = st.sampled_from([(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0), (2.0, 4.0, 0.5, 8.0)])


@st.composite
def box_sets(draw, n=None, dtype=None, max_n=8):
    """Proposals and ground-truth boxes (N, 4), integer corners in [-300, 360], sides in [1, 60]."""
    dtype = dtype or draw(dtypes)
    n = draw(st.integers(0, max_n)) if n is None else n

    def one():
        rows = []
        for _ in range(n):
            x, y = draw(st.integers(-300, 300)), draw(st.integers(-300, 300))
            rows.append([x, y, x + draw(st.integers(1, 60)), y + draw(st.integers(1, 60))])
        return torch.tensor(rows, dtype=dtype).reshape(-1, 4)

    return one(), one()


@st.composite
def deltas_for(draw, n, dtype, big=False):
    """(n, 4) deltas; with ``big`` the size deltas sometimes exceed the clip."""
    centre = st.floats(-3, 3, width=32)
    size = st.floats(-30, 30, width=32) if big else st.floats(-3, 3, width=32)
    rows = [[draw(centre), draw(centre), draw(size), draw(size)] for _ in range(n)]
    return torch.tensor(rows, dtype=dtype).reshape(-1, 4)


@suite.property("encode_boxes and decode_boxes return (N, 4) tensors of the inputs' dtype")
@given(boxes=box_sets(), weights=WEIGHTS)
def output_contract(sol, boxes, weights):
    proposals, gt = boxes
    enc = sol.encode_boxes(gt, proposals, weights)
    expect_tensor(enc, what="encode_boxes(gt_boxes, proposals, weights)", dtype=gt.dtype, shape=(len(gt), 4))
    dec = sol.decode_boxes(torch.zeros_like(proposals), proposals, weights)
    expect_tensor(dec, what="decode_boxes(deltas, proposals, weights)", dtype=proposals.dtype, shape=(len(proposals), 4))


@suite.property(
    "no +1 pixel: a side is x2 - x1, so ground truth [0, 0, 4, 4] against proposal [0, 0, 2, 2] encodes to "
    "[0.5, 0.5, log 2, log 2] (the old Pascal VOC width x2 - x1 + 1 gives [1/3, 1/3, log 5/3, log 5/3])"
)
@given(dtype=dtypes, dx=st.integers(-300, 300), dy=st.integers(-300, 300))
def no_plus_one_pixel(sol, dtype, dx, dy):
    context(dx=dx, dy=dy)
    offset = torch.tensor([dx, dy, dx, dy], dtype=dtype)
    proposals = torch.tensor([[0, 0, 2, 2]], dtype=dtype) + offset
    gt = torch.tensor([[0, 0, 4, 4]], dtype=dtype) + offset
    expected = torch.tensor([[0.5, 0.5, math.log(2), math.log(2)]], dtype=torch.float64)
    expect_close(sol.encode_boxes(gt, proposals), expected, atol=ENC_ATOL, rtol=ENC_RTOL,
                 what="encode_boxes of a 4-wide box against a 2-wide one at the same corner (widths are x2 - x1, no +1)")
    decoded = sol.decode_boxes(torch.zeros(1, 4, dtype=dtype), proposals)
    expect_close(decoded, proposals.double(), atol=DEC_ATOL, rtol=DEC_RTOL,
                 what="decode_boxes of zero deltas (with a +1 pixel the box comes back one pixel larger)")


@suite.property("encode_boxes gives dx = wx·(gx - px)/pw, dy = wy·(gy - py)/ph, dw = ww·log(gw/pw), dh = wh·log(gh/ph), from centres and sides")
@given(boxes=box_sets(), weights=WEIGHTS)
def encode_matches_reference(sol, boxes, weights):
    proposals, gt = boxes
    enc = sol.encode_boxes(gt, proposals, weights)
    expect_tensor(enc, what="encode_boxes", shape=(len(gt), 4))
    expected = reference_encode(gt.double(), proposals.double(), weights)
    expect_close(enc, expected, what="encoded deltas [dx, dy, dw, dh]", atol=ENC_ATOL, rtol=ENC_RTOL)


@suite.property("decode_boxes divides by the weights, clamps dw and dh at clip from above, then moves the centre and rescales the sides")
@given(data=st.data(), weights=WEIGHTS, clip=st.sampled_from([DEFAULT_CLIP, 1.0, 3.0]))
def decode_matches_reference(sol, data, weights, clip):
    proposals, _ = data.draw(box_sets())
    deltas = data.draw(deltas_for(len(proposals), proposals.dtype, big=True))
    dec = sol.decode_boxes(deltas, proposals, weights, clip)
    expect_tensor(dec, what="decode_boxes", shape=(len(proposals), 4))
    expected = reference_decode(deltas.double(), proposals.double(), weights, clip)
    expect_close(dec, expected, what="decoded boxes [x1, y1, x2, y2]", atol=DEC_ATOL, rtol=DEC_RTOL)


@suite.property(
    "worked example from the statement: proposal [0,0,4,2], ground truth [4,2,12,4] encode to "
    "[1.5, 1.0, log 2, 0]; decoding those deltas gives the ground truth back"
)
@given(dtype=dtypes)
def worked_example(sol, dtype):
    proposals = torch.tensor([[0, 0, 4, 2]], dtype=dtype)
    gt = torch.tensor([[4, 2, 12, 4]], dtype=dtype)
    expect_close(sol.encode_boxes(gt, proposals), torch.tensor([[1.5, 1.0, math.log(2), 0.0]], dtype=torch.float64),
                 what="encode_boxes(gt, proposal)", atol=ENC_ATOL, rtol=ENC_RTOL)
    deltas = torch.tensor([[1.5, 1.0, math.log(2), 0.0]], dtype=dtype)
    expect_close(sol.decode_boxes(deltas, proposals), gt.double(), what="decode_boxes(deltas, proposal)", atol=DEC_ATOL, rtol=DEC_RTOL)


@suite.property(
    "cross-check with torchvision's BoxCoder (weights 10, 10, 5, 5): three fixed proposals and ground-truth "
    "boxes encode, and three fixed deltas decode (two of them past the clip), to the library's values"
)
@given(dtype=dtypes)
def torchvision_values(sol, dtype):
    weights = (10.0, 10.0, 5.0, 5.0)
    proposals = torch.tensor([[10, 20, 50, 60], [0, 0, 16, 8], [-30, -10, -6, 50]], dtype=dtype)
    gt = torch.tensor([[12, 18, 58, 70], [-4, 2, 10, 14], [-28, 0, -20, 20]], dtype=dtype)
    encoded = [[1.25, 1.0, 0.698809712, 1.311821322], [-3.125, 5.0, -0.667656963, 2.027325541],
               [-2.5, -1.666666667, -5.493061443, -5.493061443]]
    expect_close(sol.encode_boxes(gt, proposals, weights), torch.tensor(encoded, dtype=torch.float64),
                 what="encode_boxes with weights (10, 10, 5, 5)", atol=ENC_ATOL, rtol=ENC_RTOL)
    deltas = torch.tensor([[1.0, -2.0, 0.5, -0.5], [0.0, 0.0, 25.0, -30.0], [-3.0, 4.0, 21.0, 2.0]], dtype=dtype)
    decoded = [[11.896581638, 13.903251639, 56.103418362, 50.096748361], [-492.0, 3.990084991, 508.0, 4.009915009],
               [-775.2, -0.754740929, 724.8, 88.754740929]]
    expect_close(sol.decode_boxes(deltas, proposals, weights), torch.tensor(decoded, dtype=torch.float64),
                 what="decode_boxes with weights (10, 10, 5, 5) and the default clip", atol=DEC_ATOL, rtol=DEC_RTOL)


@suite.property("round trip: decode_boxes(encode_boxes(gt, p, w), p, w) gives gt back (with the same weights)")
@given(boxes=box_sets(), weights=WEIGHTS)
def round_trip(sol, boxes, weights):
    proposals, gt = boxes
    deltas = sol.encode_boxes(gt, proposals, weights)
    expect_tensor(deltas, what="encode_boxes", shape=(len(gt), 4))
    back = sol.decode_boxes(deltas.to(proposals.dtype), proposals, weights)
    expect_close(back, gt.double(), what="decode(encode(gt)) against gt", atol=DEC_ATOL, rtol=DEC_RTOL)


@suite.property("a proposal encodes against itself to all zeros, and zero deltas decode to the proposal unchanged")
@given(boxes=box_sets(), weights=WEIGHTS)
def identity(sol, boxes, weights):
    proposals, _ = boxes
    enc = sol.encode_boxes(proposals, proposals, weights)
    expect_close(enc, torch.zeros(len(proposals), 4, dtype=torch.float64), what="encode_boxes(p, p)", atol=ENC_ATOL, rtol=0)
    dec = sol.decode_boxes(torch.zeros_like(proposals), proposals, weights)
    expect_close(dec, proposals.double(), what="decode_boxes(0, p)", atol=DEC_ATOL, rtol=DEC_RTOL)


@suite.property("deltas are relative: translating both boxes, or scaling both by the same factor, leaves the encoding unchanged")
@given(boxes=box_sets(), weights=WEIGHTS, dx=st.integers(-1000, 1000), dy=st.integers(-1000, 1000), power=st.integers(-2, 3))
def encode_invariant(sol, boxes, weights, dx, dy, power):
    proposals, gt = boxes
    factor = 2.0**power
    context(dx=dx, dy=dy, factor=factor)
    offset = torch.tensor([dx, dy, dx, dy], dtype=gt.dtype)
    moved = sol.encode_boxes(gt * factor + offset, proposals * factor + offset, weights)
    expect_close(moved, sol.encode_boxes(gt, proposals, weights), what="encoding after translating and scaling both boxes",
                 atol=1e-4, rtol=1e-4)


@suite.property("each weight scales its own column: encode with (wx, wy, ww, wh) equals encode with ones times the weights")
@given(boxes=box_sets(), weights=WEIGHTS)
def weights_scale_columns(sol, boxes, weights):
    proposals, gt = boxes
    plain = sol.encode_boxes(gt, proposals, (1.0, 1.0, 1.0, 1.0))
    weighted = sol.encode_boxes(gt, proposals, weights)
    expect_tensor(plain, what="encode_boxes", shape=(len(gt), 4))
    expected = plain.double() * torch.tensor(weights, dtype=torch.float64)
    expect_close(weighted, expected, what=f"encode with weights {weights} against weights × encode with ones", atol=1e-4, rtol=1e-5)


@suite.property("decode clamps dw and dh at clip: a huge size delta makes a box exp(clip) times the proposal's side, for the default and for a given clip")
@given(dtype=dtypes, clip=st.sampled_from([None, 0.5, 2.0]), big=st.floats(10, 1000))
def clip_caps_growth(sol, dtype, clip, big):
    proposals = torch.tensor([[0, 0, 4, 2]], dtype=dtype)
    deltas = torch.tensor([[0.0, 0.0, big, big]], dtype=dtype)
    limit = DEFAULT_CLIP if clip is None else clip
    context(clip_used=limit)
    out = sol.decode_boxes(deltas, proposals) if clip is None else sol.decode_boxes(deltas, proposals, (1.0, 1.0, 1.0, 1.0), clip)
    expect_tensor(out, what="decode_boxes", shape=(1, 4))
    expect(bool(torch.isfinite(out).all()), f"decoded box {out.tolist()} is not finite: exp of an unclamped delta overflowed")
    scale = math.exp(limit)
    expected = torch.tensor([[2 - 2 * scale, 1 - scale, 2 + 2 * scale, 1 + scale]], dtype=torch.float64)
    expect_close(out, expected, what=f"box decoded from dw = dh = {big:g} (clamped to {limit:g})", atol=DEC_ATOL, rtol=1e-5)


@suite.property("the clamp is one-sided: a very negative dw or dh shrinks the box by exp(d) and is not clamped at -clip")
@given(dtype=dtypes, d=st.floats(-12, -5))
def clip_only_from_above(sol, dtype, d):
    proposals = torch.tensor([[0, 0, 4, 2]], dtype=dtype)
    out = sol.decode_boxes(torch.tensor([[0.0, 0.0, d, d]], dtype=dtype), proposals)
    scale = math.exp(d)
    expected = torch.tensor([[2 - 2 * scale, 1 - scale, 2 + 2 * scale, 1 + scale]], dtype=torch.float64)
    expect_close(out, expected, what=f"box decoded from dw = dh = {d:g}", atol=1e-6, rtol=1e-5)


@suite.property("no boxes in gives (0, 4) tensors out")
@given(dtype=dtypes)
def empty_input(sol, dtype):
    empty = torch.zeros(0, 4, dtype=dtype)
    expect_tensor(sol.encode_boxes(empty, empty), what="encode_boxes of no boxes", dtype=dtype, shape=(0, 4))
    expect_tensor(sol.decode_boxes(empty, empty), what="decode_boxes of no boxes", dtype=dtype, shape=(0, 4))
