"""The compiled kernels (reference.box_iou / reference.nms) against the readable torch references.

NMS indices must match exactly, IoU within 1e-6 (float32 and float64). Random inputs come from
hypothesis strategies that build valid boxes directly (draw x1, then a width), with duplicated
boxes, zero-area and inverted boxes, tied scores and coordinates up to 1e4; hand-built pairs sit
at, just above and just below the threshold.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, currently_in_test_context, given, note, settings
from hypothesis import strategies as st

import reference
from reference.ops.box_iou import box_iou as ref_box_iou
from reference.ops.nms import nms as ref_nms

pytestmark = pytest.mark.skipif(
    not reference.build_info()["extension_built"],
    reason="reference._C is not built (run bash scripts/setup.sh)",
)

DTYPES = [torch.float32, torch.float64]
IOU_ATOL = {torch.float32: 1e-6, torch.float64: 1e-6}
NP_DTYPE = {torch.float32: np.float32, torch.float64: np.float64}

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------


def _coord(width: int, limit: float = 1e4) -> st.SearchStrategy[float]:
    # Small integers give exact ties, touching edges and duplicates; floats give everything else.
    return st.one_of(
        st.integers(-4, 4).map(float),
        st.floats(-limit, limit, width=width, allow_nan=False, allow_infinity=False),
    )


def _side(width: int, limit: float = 1e4) -> st.SearchStrategy[float]:
    return st.one_of(
        st.just(0.0),  # zero-area boxes
        st.integers(-2, 4).map(float),  # negative: inverted boxes, which count as zero area
        st.floats(0, limit, width=width, allow_nan=False, allow_infinity=False),
    )


@st.composite
def box_sets(draw, dtype: torch.dtype, max_n: int = 24) -> torch.Tensor:
    width = 32 if dtype == torch.float32 else 64
    n = draw(st.integers(0, max_n))
    rows: list[list[float]] = []
    for _ in range(n):
        if rows and draw(st.integers(0, 4)) == 0:
            rows.append(list(draw(st.sampled_from(rows))))  # identical boxes
            continue
        x1, y1 = draw(_coord(width)), draw(_coord(width))
        w, h = draw(_side(width)), draw(_side(width))
        rows.append([x1, y1, x1 + w, y1 + h])
    return torch.tensor(rows, dtype=dtype).reshape(n, 4)


@st.composite
def nms_inputs(draw, dtype: torch.dtype):
    boxes = draw(box_sets(dtype))
    n = boxes.shape[0]
    score = st.one_of(
        st.integers(0, 3).map(float),  # ties
        st.floats(-1e4, 1e4, width=32, allow_nan=False, allow_infinity=False),
    )
    scores = torch.tensor(draw(st.lists(score, min_size=n, max_size=n)), dtype=dtype)
    threshold = draw(
        st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 1, allow_nan=False))
    )
    return boxes, scores, threshold


def random_boxes(n: int, dtype: torch.dtype, seed: int) -> torch.Tensor:
    """The benchmark's distribution: 1000x1000 canvas, sides 1..100."""
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * 1000
    wh = 1 + torch.rand(n, 2, generator=g, dtype=torch.float64) * 99
    return torch.cat([xy, xy + wh], dim=1).to(dtype)


def check_nms(boxes, scores, threshold):
    got = reference.nms(boxes, scores, threshold)
    want = ref_nms(boxes.cpu(), scores.cpu(), threshold)
    summary = f"n={boxes.shape[0]} threshold={threshold!r} kept={want.tolist()} got={got.tolist()}"
    if currently_in_test_context():
        note(summary)
    assert got.dtype == torch.int64
    assert got.device == boxes.device
    assert torch.equal(got.cpu(), want), summary


def check_iou(boxes1, boxes2):
    got = reference.box_iou(boxes1, boxes2)
    want = ref_box_iou(boxes1.cpu(), boxes2.cpu())
    assert got.dtype == boxes1.dtype and got.shape == want.shape
    assert got.device == boxes1.device
    torch.testing.assert_close(got.cpu(), want, rtol=0, atol=IOU_ATOL[boxes1.dtype])


# --------------------------------------------------------------------------------------------
# CPU kernels against the references
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_box_iou_matches_reference(dtype):
    @SETTINGS
    @given(box_sets(dtype), box_sets(dtype))
    def run(b1, b2):
        check_iou(b1, b2)

    run()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_nms_matches_reference(dtype):
    @SETTINGS
    @given(nms_inputs(dtype))
    def run(args):
        check_nms(*args)

    run()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_nms_threshold_at_computed_iou(dtype):
    """Two random boxes; the threshold is their IoU in `dtype`, and its neighbours either side."""

    @SETTINGS
    @given(box_sets(dtype, max_n=2).filter(lambda b: b.shape[0] == 2), st.sampled_from([-1, 0, 1]))
    def run(boxes, step):
        iou = ref_box_iou(boxes, boxes)[0, 1]
        t = iou.numpy()
        if step:
            t = np.nextafter(t, NP_DTYPE[dtype](step * np.inf))
        threshold = float(t)
        if not 0.0 <= threshold <= 1.0:
            return
        check_nms(boxes, torch.tensor([2.0, 1.0], dtype=dtype), threshold)

    run()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_nms_threshold_edges_by_hand(dtype):
    # [0,0,2,1] and [1,0,3,1]: inter 1, union 3, IoU = 1/3 rounded to dtype.
    boxes = torch.tensor([[0, 0, 2, 1], [1, 0, 3, 1]], dtype=dtype)
    scores = torch.tensor([1.0, 2.0], dtype=dtype)
    iou = torch.tensor(1 / 3, dtype=dtype).numpy()
    at = float(iou)
    below = float(np.nextafter(iou, NP_DTYPE[dtype](0)))
    above = float(np.nextafter(iou, NP_DTYPE[dtype](1)))
    assert reference.nms(boxes, scores, at).tolist() == [1, 0]  # equal: not suppressed
    assert reference.nms(boxes, scores, above).tolist() == [1, 0]
    assert reference.nms(boxes, scores, below).tolist() == [1]  # IoU just above: suppressed
    for t in (at, above, below):
        check_nms(boxes, scores, t)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_edge_cases(dtype):
    empty = torch.empty(0, 4, dtype=dtype)
    one = torch.tensor([[1, 2, 3, 4]], dtype=dtype)
    assert reference.box_iou(empty, one).shape == (0, 1)
    assert reference.box_iou(one, empty).shape == (1, 0)
    out = reference.nms(empty, torch.empty(0, dtype=dtype), 0.5)
    assert out.dtype == torch.int64 and out.shape == (0,)
    assert reference.nms(one, torch.ones(1, dtype=dtype), 0.5).tolist() == [0]
    # identical boxes, tied scores: the lowest index survives
    same = one.repeat(5, 1)
    assert reference.nms(same, torch.zeros(5, dtype=dtype), 0.5).tolist() == [0]
    assert reference.nms(same, torch.zeros(5, dtype=dtype), 1.0).tolist() == [0, 1, 2, 3, 4]
    # zero-area boxes: IoU 0 (never NaN), never suppressed, even at threshold 0
    dots = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 5, 0]], dtype=dtype)
    assert torch.equal(reference.box_iou(dots, dots), torch.zeros(3, 3, dtype=dtype))
    assert reference.nms(dots, torch.zeros(3, dtype=dtype), 0.0).tolist() == [0, 1, 2]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_nms_benchmark_distribution(dtype, threshold):
    boxes = random_boxes(1500, dtype, seed=1)
    scores = torch.rand(1500, generator=torch.Generator().manual_seed(2), dtype=dtype)
    scores[::7] = 0.5  # plenty of ties
    check_nms(boxes, scores, threshold)
    check_iou(boxes[:300], boxes)


def test_nms_with_huge_and_tiny_boxes():
    # Mixed scales exercise the "large box" path of the CPU grid.
    small = random_boxes(400, torch.float64, seed=3)
    huge = torch.tensor([[0, 0, 1100, 1100], [500, -50, 600, 2000], [-1e4, 400, 1e4, 420]],
                        dtype=torch.float64)
    boxes = torch.cat([small, huge, small[:50] * 0.001])
    for seed in range(3):
        scores = torch.rand(boxes.shape[0], generator=torch.Generator().manual_seed(seed),
                            dtype=torch.float64)
        for t in (0.0, 0.01, 0.5):
            check_nms(boxes, scores, t)


# --------------------------------------------------------------------------------------------
# Bad inputs: refused with a message naming the argument
# --------------------------------------------------------------------------------------------

GOOD = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.5, 0.5, 2.0, 2.0]])
SCORES = torch.tensor([0.9, 0.8])

BAD_BOX_IOU = [
    ("list", lambda: reference.box_iou(GOOD.tolist(), GOOD), TypeError, "boxes1"),
    ("numpy", lambda: reference.box_iou(GOOD, GOOD.numpy()), TypeError, "boxes2"),
    ("int64", lambda: reference.box_iou(GOOD.long(), GOOD), TypeError, "boxes1"),
    ("float16", lambda: reference.box_iou(GOOD, GOOD.half()), TypeError, "boxes2"),
    ("rank1", lambda: reference.box_iou(GOOD[0], GOOD), ValueError, "boxes1"),
    ("3 columns", lambda: reference.box_iou(GOOD, GOOD[:, :3].contiguous()), ValueError, "boxes2"),
    ("rank3", lambda: reference.box_iou(GOOD[None], GOOD), ValueError, "boxes1"),
    ("strided", lambda: reference.box_iou(GOOD.repeat(1, 2)[:, ::2], GOOD), ValueError,
     "contiguous()"),
    ("transposed", lambda: reference.box_iou(GOOD, torch.zeros(4, 3).t()), ValueError, "boxes2"),
    ("nan", lambda: reference.box_iou(torch.tensor([[0, 0, math.nan, 1.0]]), GOOD), ValueError,
     "boxes1"),
    ("inf", lambda: reference.box_iou(GOOD, torch.tensor([[0, 0, math.inf, 1.0]])), ValueError,
     "boxes2"),
    ("mixed dtypes", lambda: reference.box_iou(GOOD, GOOD.double()), TypeError, "boxes2"),
    ("meta device", lambda: reference.box_iou(GOOD.to("meta"), GOOD), ValueError, "boxes1"),
]

BAD_NMS = [
    ("boxes list", lambda: reference.nms(GOOD.tolist(), SCORES, 0.5), TypeError, "boxes"),
    ("boxes shape", lambda: reference.nms(GOOD[:, :2].contiguous(), SCORES, 0.5), ValueError,
     "boxes"),
    ("boxes nan", lambda: reference.nms(GOOD * math.nan, SCORES, 0.5), ValueError, "boxes"),
    ("scores list", lambda: reference.nms(GOOD, [0.9, 0.8], 0.5), TypeError, "scores"),
    ("scores dtype", lambda: reference.nms(GOOD, SCORES.double(), 0.5), TypeError, "scores"),
    ("scores int", lambda: reference.nms(GOOD, torch.tensor([1, 2]), 0.5), TypeError, "scores"),
    ("scores 2-D", lambda: reference.nms(GOOD, SCORES[:, None], 0.5), ValueError, "scores"),
    ("scores length", lambda: reference.nms(GOOD, SCORES[:1], 0.5), ValueError, "scores"),
    ("scores strided", lambda: reference.nms(GOOD, torch.zeros(2, 2)[:, 0], 0.5), ValueError,
     "scores.contiguous()"),
    ("scores inf", lambda: reference.nms(GOOD, torch.tensor([math.inf, 0.0]), 0.5), ValueError,
     "scores"),
    ("threshold str", lambda: reference.nms(GOOD, SCORES, "0.5"), TypeError, "iou_threshold"),
    ("threshold None", lambda: reference.nms(GOOD, SCORES, None), TypeError, "iou_threshold"),
    ("threshold bool", lambda: reference.nms(GOOD, SCORES, True), TypeError, "iou_threshold"),
    ("threshold tensor", lambda: reference.nms(GOOD, SCORES, torch.tensor(0.5)), TypeError,
     "iou_threshold"),
    ("threshold < 0", lambda: reference.nms(GOOD, SCORES, -0.1), ValueError, "iou_threshold"),
    ("threshold > 1", lambda: reference.nms(GOOD, SCORES, 1.5), ValueError, "iou_threshold"),
    ("threshold nan", lambda: reference.nms(GOOD, SCORES, math.nan), ValueError, "iou_threshold"),
]


@pytest.mark.parametrize("call, exc, name", [c[1:] for c in BAD_BOX_IOU + BAD_NMS],
                         ids=[c[0] for c in BAD_BOX_IOU + BAD_NMS])
def test_bad_inputs_are_refused(call, exc, name):
    with pytest.raises(exc, match=name.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_threshold_accepts_numpy_and_int():
    assert reference.nms(GOOD, SCORES, np.float32(0.5)).tolist() == [0, 1]
    assert reference.nms(GOOD, SCORES, 0).tolist() == [0]


def test_extension_refuses_instead_of_converting():
    from reference import _C

    a = np.zeros((3, 4), np.float32)
    with pytest.raises(TypeError, match="boxes1.*float16"):
        _C.box_iou_cpu(a.astype(np.float16), a)
    with pytest.raises(TypeError, match="boxes1"):
        _C.box_iou_cpu(a.astype(">f4"), a)
    with pytest.raises(ValueError, match="boxes2.*C-contiguous"):
        _C.box_iou_cpu(a, np.asfortranarray(a))
    with pytest.raises(ValueError, match="boxes1.*shape"):
        _C.box_iou_cpu(a.reshape(-1), a)
    with pytest.raises(TypeError, match="boxes2.*same dtype"):
        _C.box_iou_cpu(a, a.astype(np.float64))
    with pytest.raises(TypeError, match="scores"):
        _C.nms_cpu(a, np.zeros(3, np.float64), 0.5)
    with pytest.raises(ValueError, match="scores"):
        _C.nms_cpu(a, np.zeros(2, np.float32), 0.5)
    with pytest.raises(ValueError, match="iou_threshold"):
        _C.nms_cpu(a, np.zeros(3, np.float32), 2.0)


def test_missing_extension_message(monkeypatch):
    import reference.compiled as kernels

    monkeypatch.setattr(kernels, "_C", None)
    with pytest.raises(RuntimeError, match="scripts/setup.sh") as info:
        reference.box_iou(GOOD, GOOD)
    assert isinstance(info.value, ImportError)
    with pytest.raises(RuntimeError, match="scripts/setup.sh"):
        reference.nms(GOOD, SCORES, 0.5)
    assert reference.cuda_built() is False
    assert reference.build_info()["extension_built"] is False


# --------------------------------------------------------------------------------------------
# Build information
# --------------------------------------------------------------------------------------------


def test_build_info():
    from reference import _C

    info = reference.build_info()
    assert info["extension_built"] is True and info["import_error"] is None
    assert info["cuda_built"] is reference.cuda_built() is bool(_C.cuda_built())
    assert info["gpu_available"] is reference.gpu_available()
    assert info["openmp_threads"] >= 1
    assert isinstance(info["cuda_device_count"], int) and info["cuda_device_count"] >= 0
    if not torch.cuda.is_available():
        assert info["gpu_available"] is False
    if not info["cuda_built"]:
        assert info["cuda_device_count"] == 0


@pytest.mark.skipif(reference.cuda_built(), reason="the CUDA kernels are built")
def test_cuda_tensor_without_cuda_build_explains():
    import reference.compiled as kernels

    fake = torch.empty(0)  # no CUDA tensors here: exercise the message directly
    with pytest.raises(RuntimeError, match="CVG_CUDA=ON"):
        kernels._box_iou_cuda(kernels._C, fake, fake)


# --------------------------------------------------------------------------------------------
# CUDA kernels against the CPU kernels and the references
# --------------------------------------------------------------------------------------------

def needs_gpu(test):
    test = pytest.mark.skipif(not reference.cuda_built(), reason="built without CUDA")(test)
    test = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")(test)
    return pytest.mark.gpu(test)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("threshold", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 3000])
def test_cuda_matches_cpu(dtype, threshold, n):
    boxes = random_boxes(n, dtype, seed=n)
    scores = torch.rand(n, generator=torch.Generator().manual_seed(7), dtype=dtype)
    scores[::5] = 0.25
    gb, gs = boxes.cuda(), scores.cuda()
    assert torch.equal(reference.nms(gb, gs, threshold).cpu(), reference.nms(boxes, scores,
                                                                             threshold))
    torch.testing.assert_close(reference.box_iou(gb, gb[: n // 2]).cpu(),
                               reference.box_iou(boxes, boxes[: n // 2]), rtol=0,
                               atol=IOU_ATOL[dtype])


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_cuda_hypothesis(dtype):
    @settings(max_examples=60, deadline=None)
    @given(nms_inputs(dtype))
    def run(args):
        boxes, scores, threshold = args
        check_nms(boxes.cuda(), scores.cuda(), threshold)
        check_iou(boxes.cuda(), boxes.cuda())

    run()
