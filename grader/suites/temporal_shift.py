"""Properties of TSM's temporal shift."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_raises, expect_tensor
from reference.ops.temporal_shift import temporal_shift as reference_shift
from grader.suites.strategies import dtypes

suite = Suite("temporal_shift")

# A shift only copies values, so the comparison is exact; gradients are compared to 1e-12.


@st.composite
def clips(draw, *, min_t: int = 1):
    """(x, n_segment, fold_div): N clips of T frames, integer-valued entries (exact in any float dtype)."""
    n = draw(st.integers(1, 3))
    t = draw(st.integers(min_t, 5))
    c = draw(st.integers(1, 12))
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    fold_div = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(-99, 100, (n * t, c, h, w), generator=gen).to(draw(dtypes))
    return x, t, fold_div


def show(x, n_segment, fold_div):
    context(N=x.shape[0] // n_segment, T=n_segment, C=x.shape[1], fold=x.shape[1] // fold_div)


@suite.property("returns a tensor with the input's shape (N*T, C, H, W) and dtype")
@given(clip=clips())
def output_contract(sol, clip):
    x, n_segment, fold_div = clip
    out = sol.temporal_shift(x, n_segment, fold_div)
    expect_tensor(out, what="temporal_shift(x, n_segment, fold_div)", dtype=x.dtype, shape=tuple(x.shape))


@suite.property("every output value equals TSM's shift: [0, fold) from the next frame, [fold, 2*fold) from the previous one, the rest unchanged (exact)")
@given(clip=clips())
def matches_reference(sol, clip):
    x, n_segment, fold_div = clip
    show(x, n_segment, fold_div)
    out = sol.temporal_shift(x, n_segment, fold_div)
    expect_tensor(out, what="temporal_shift(x, n_segment, fold_div)", shape=tuple(x.shape))
    expect_close(out, reference_shift(x, n_segment, fold_div), what="shifted features", atol=0, rtol=0)


@suite.property("worked example from the statement: T=3, C=4, fold_div=4 gives frames [10,0,2,3], [20,1,12,13], [0,11,22,23]")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    x = torch.tensor([[10.0 * t + c for c in range(4)] for t in range(3)], dtype=dtype).reshape(3, 4, 1, 1)
    out = sol.temporal_shift(x, 3, 4)
    expected = torch.tensor([[10.0, 0, 2, 3], [20, 1, 12, 13], [0, 11, 22, 23]]).reshape(3, 4, 1, 1)
    expect_close(out, expected, what="shifted features", atol=0, rtol=0)


@suite.property("the default fold_div is 8: with 16 channels, channels 0-1 look ahead and 2-3 look back")
@given(clip=clips(min_t=2))
def default_fold_div(sol, clip):
    x, n_segment, _ = clip
    x = x[:, :1].repeat(1, 16, 1, 1) + torch.arange(16, dtype=x.dtype).reshape(1, 16, 1, 1) * 1000
    out = sol.temporal_shift(x, n_segment)
    expect_close(out, reference_shift(x, n_segment, 8), what="temporal_shift(x, n_segment) with the default fold_div", atol=0, rtol=0)


@suite.property("channels from 2*fold on are copied unchanged, in every frame")
@given(clip=clips())
def other_channels_unchanged(sol, clip):
    x, n_segment, fold_div = clip
    show(x, n_segment, fold_div)
    fold = x.shape[1] // fold_div
    out = sol.temporal_shift(x, n_segment, fold_div)
    expect_close(out[:, 2 * fold :], x[:, 2 * fold :], what=f"channels [{2 * fold}, C)", atol=0, rtol=0)


@suite.property("zeros enter at the clip ends: the last frame's look-ahead channels and the first frame's look-back channels are 0 (no wrap-around)")
@given(clip=clips())
def zeros_at_clip_ends(sol, clip):
    x, n_segment, fold_div = clip
    x = x.abs() + 1  # every input value is nonzero, so a zero can only come from the padding
    show(x, n_segment, fold_div)
    fold = x.shape[1] // fold_div
    out = sol.temporal_shift(x, n_segment, fold_div).reshape(-1, n_segment, *x.shape[1:])
    last_ahead = out[:, -1, :fold]
    first_back = out[:, 0, fold : 2 * fold]
    expect_close(last_ahead, torch.zeros_like(last_ahead), what="last frame of each clip, channels [0, fold)", atol=0, rtol=0)
    expect_close(first_back, torch.zeros_like(first_back), what="first frame of each clip, channels [fold, 2*fold)", atol=0, rtol=0)


@suite.property("clips never exchange values: changing one clip leaves the output of the other clips unchanged")
@given(clip=clips(min_t=1), which=st.integers(0, 2))
def clips_are_independent(sol, clip, which):
    x, n_segment, fold_div = clip
    n = x.shape[0] // n_segment
    which = which % n
    context(changed_clip=which)
    show(x, n_segment, fold_div)
    changed = x.clone()
    changed[which * n_segment : (which + 1) * n_segment] += 1000
    before = sol.temporal_shift(x, n_segment, fold_div)
    after = sol.temporal_shift(changed, n_segment, fold_div)
    keep = torch.ones(x.shape[0], dtype=torch.bool)
    keep[which * n_segment : (which + 1) * n_segment] = False
    expect_close(after[keep], before[keep], what="output frames of the clips that were not changed", atol=0, rtol=0)


@suite.property("gradients flow back to x: the gradient is the opposite shift of the output gradient")
@given(clip=clips())
def gradients_flow(sol, clip):
    x, n_segment, fold_div = clip
    show(x, n_segment, fold_div)
    x = x.double().requires_grad_(True)
    grad_out = torch.linspace(-1, 1, x.numel(), dtype=torch.float64).reshape(x.shape)
    out = sol.temporal_shift(x, n_segment, fold_div)
    expect(isinstance(out, torch.Tensor) and out.requires_grad,
           "the output does not require grad: the shift must be built from torch operations on x, without detaching it or going through numpy")
    (grad,) = torch.autograd.grad(out, x, grad_out, allow_unused=True)
    expect(grad is not None, "no gradient reached x")
    x_ref = x.detach().requires_grad_(True)
    (expected,) = torch.autograd.grad(reference_shift(x_ref, n_segment, fold_div), x_ref, grad_out)
    expect_close(grad, expected, what="gradient with respect to x", atol=1e-12, rtol=0)


@suite.property("raises ValueError when the first dimension is not a multiple of n_segment")
@given(clip=clips(min_t=2))
def rejects_bad_batch(sol, clip):
    x, n_segment, fold_div = clip
    bad = torch.cat([x, x[:1]])
    context(first_dimension=bad.shape[0], n_segment=n_segment)
    expect_raises(ValueError, sol.temporal_shift, bad, n_segment, fold_div, what="temporal_shift with N*T not a multiple of T")
