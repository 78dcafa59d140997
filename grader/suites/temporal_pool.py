"""Properties of masked temporal pooling over variable-length clips."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_raises, expect_tensor
from reference.ops.temporal_pool import masked_temporal_pool as reference_pool
from grader.suites.strategies import dtypes

suite = Suite("temporal_pool")

# float32 sums and softmaxes of a few unit-sized values: 1e-5 absolute + 1e-5 relative.
ATOL, RTOL = 1e-5, 1e-5
modes = st.sampled_from(("mean", "max", "attention"))
fillers = st.sampled_from((float("nan"), float("inf"), float("-inf"), 1e6, -1e6, 0.0))


@st.composite
def batches(draw, *, short: bool = False):
    """(features, lengths, query): B clips padded to T frames; padding frames hold zeros.

    With ``short``, at least one clip is shorter than T, so there is padding to ignore.
    """
    b, t, d = draw(st.integers(1, 3)), draw(st.integers(2 if short else 1, 5)), draw(st.integers(1, 4))
    lengths = [draw(st.integers(1, t)) for _ in range(b)]
    if short and min(lengths) == t:
        lengths[draw(st.integers(0, b - 1))] = draw(st.integers(1, t - 1))
    dtype = draw(dtypes)
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    features = torch.randn(b, t, d, generator=gen, dtype=torch.float64)
    lengths = torch.tensor(lengths, dtype=torch.int64)
    features[torch.arange(t)[None, :] >= lengths[:, None]] = 0.0
    query = torch.randn(d, generator=gen, dtype=torch.float64)
    return features.to(dtype), lengths, query.to(dtype)


def padding_mask(features, lengths):
    return torch.arange(features.shape[1])[None, :] >= lengths[:, None]


@suite.property("returns a (B, D) tensor with the features' dtype, for every mode")
@given(batch=batches(), mode=modes)
def output_contract(sol, batch, mode):
    features, lengths, query = batch
    out = sol.masked_temporal_pool(features, lengths, mode, query)
    b, _, d = features.shape
    expect_tensor(out, what=f"masked_temporal_pool(features, lengths, {mode!r}, query)", dtype=features.dtype, shape=(b, d))


@suite.property("equals the reference pooling over frames [0, length) for mean, max and attention (within 1e-5)")
@given(batch=batches(), mode=modes)
def matches_reference(sol, batch, mode):
    features, lengths, query = batch
    out = sol.masked_temporal_pool(features, lengths, mode, query)
    expect_tensor(out, what=f"masked_temporal_pool(features, lengths, {mode!r}, query)", shape=(features.shape[0], features.shape[2]))
    expected = reference_pool(features.double(), lengths, mode, query.double())
    expect_close(out, expected, what=f"{mode} pooling", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: lengths [2, 3] give mean [[2, -1], [2, 2]], max [[3, 2], [5, 6]] and the attention values shown")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    nan = float("nan")
    features = torch.tensor([[[1.0, 2.0], [3.0, -4.0], [nan, nan]], [[0.0, 6.0], [5.0, 0.0], [1.0, 0.0]]], dtype=dtype)
    lengths = torch.tensor([2, 3])
    query = torch.tensor([0.5, 0.25], dtype=dtype)
    expected = {
        "mean": [[2.0, -1.0], [2.0, 2.0]],
        "max": [[3.0, 2.0], [5.0, 6.0]],
        "attention": [[1.755081, -0.265244], [3.416235, 1.468371]],
    }
    for mode, values in expected.items():
        out = sol.masked_temporal_pool(features, lengths, mode, query)
        expect_close(out, torch.tensor(values, dtype=torch.float64), what=f"{mode} pooling", atol=1e-5, rtol=1e-5)


@suite.property("whatever sits in the padding frames (NaN, inf, huge values) never changes the result")
@given(batch=batches(short=True), mode=modes, filler=fillers)
def padding_is_ignored(sol, batch, mode, filler):
    features, lengths, query = batch
    context(padding_value=filler)
    clean = sol.masked_temporal_pool(features, lengths, mode, query)
    dirty = features.clone()
    dirty[padding_mask(features, lengths)] = filler
    out = sol.masked_temporal_pool(dirty, lengths, mode, query)
    expect_close(out, clean, what=f"{mode} pooling with the padding filled with {filler} against zero padding", atol=ATOL, rtol=RTOL)


@suite.property("when every clip uses all T frames, the result is the plain mean / max over the time axis")
@given(batch=batches(), mode=st.sampled_from(("mean", "max")))
def full_length_is_plain_pool(sol, batch, mode):
    features, _, query = batch
    full = torch.full((features.shape[0],), features.shape[1], dtype=torch.int64)
    out = sol.masked_temporal_pool(features, full, mode, query)
    expected = features.double().mean(dim=1) if mode == "mean" else features.double().amax(dim=1)
    expect_close(out, expected, what=f"{mode} pooling with lengths = T", atol=ATOL, rtol=RTOL)


@suite.property("the order of the valid frames does not matter: shuffling them within a clip changes nothing")
@given(batch=batches(), mode=modes, seed=st.integers(0, 2**31 - 1))
def frame_order_invariant(sol, batch, mode, seed):
    features, lengths, query = batch
    context(seed=seed)
    gen = torch.Generator().manual_seed(seed)
    shuffled = features.clone()
    for b, n in enumerate(lengths.tolist()):
        shuffled[b, :n] = features[b, torch.randperm(n, generator=gen)]
    out = sol.masked_temporal_pool(shuffled, lengths, mode, query)
    expect_close(out, sol.masked_temporal_pool(features, lengths, mode, query), what=f"{mode} pooling after shuffling the valid frames", atol=ATOL, rtol=RTOL)


@suite.property("attention with a zero query weights the valid frames equally, so it equals the mean")
@given(batch=batches())
def zero_query_attention_is_mean(sol, batch):
    features, lengths, query = batch
    out = sol.masked_temporal_pool(features, lengths, "attention", torch.zeros_like(query))
    expect_close(out, reference_pool(features.double(), lengths, "mean"), what="attention pooling with query = 0", atol=ATOL, rtol=RTOL)


@suite.property("the padding frames get zero gradient, and no gradient is NaN, even when the padding holds NaN")
@given(batch=batches(short=True), mode=modes, filler=fillers)
def padding_gets_no_gradient(sol, batch, mode, filler):
    features, lengths, query = batch
    context(padding_value=filler)
    mask = padding_mask(features, lengths)
    features = features.double().clone()
    features[mask] = filler
    features.requires_grad_(True)
    out = sol.masked_temporal_pool(features, lengths, mode, query.double())
    expect(isinstance(out, torch.Tensor) and out.requires_grad, "the output does not require grad: pool with torch operations on features")
    (grad,) = torch.autograd.grad(out.sum(), features, allow_unused=True)
    expect(grad is not None, "no gradient reached the features")
    expect(not bool(grad.isnan().any()), f"the gradient contains NaN: {grad.tolist()}")
    expect_close(grad[mask], torch.zeros(int(mask.sum()), features.shape[2]), what="gradient on the padding frames", atol=0, rtol=0)


@suite.property("raises ValueError for a length of 0, a length above T, an unknown mode, and 'attention' without a query")
@given(batch=batches(), which=st.integers(0, 2), bad=st.sampled_from(("zero", "too_long", "negative")))
def rejects_bad_arguments(sol, batch, which, bad):
    features, lengths, query = batch
    b, t, _ = features.shape
    wrong = lengths.clone()
    wrong[which % b] = {"zero": 0, "too_long": t + 1, "negative": -1}[bad]
    context(bad_lengths=wrong.tolist(), T=t)
    expect_raises(ValueError, sol.masked_temporal_pool, features, wrong, "mean", query, what=f"masked_temporal_pool with lengths {wrong.tolist()} (T = {t})")
    expect_raises(ValueError, sol.masked_temporal_pool, features, lengths, "median", query, what='masked_temporal_pool with mode "median"')
    expect_raises(ValueError, sol.masked_temporal_pool, features, lengths, "attention", None, what='masked_temporal_pool with mode "attention" and query=None')
