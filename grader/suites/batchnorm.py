"""Properties of batch normalization in training and evaluation mode, shared by every batchnorm track."""

import math

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from grader.suites.strategies import dtypes

suite = Suite("batchnorm")

# x lies in [-5, 5]; float32 loses about 1e-7·|x| / sqrt(var + eps) when a channel is nearly constant.
ATOL, RTOL = 5e-4, 1e-4
STAT_ATOL = 1e-5


def values(lo, hi):
    return st.one_of(st.integers(lo, hi).map(float), st.floats(lo, hi, allow_nan=False, width=32))


@st.composite
def tensor(draw, shape, lo, hi, dtype):
    count = math.prod(shape)
    return torch.tensor([draw(values(lo, hi)) for _ in range(count)], dtype=dtype).reshape(shape)


@st.composite
def problems(draw, *, four_d=None, affine=None):
    """A dict of batch_norm_2d arguments with N·H·W >= 2, so the unbiased variance exists."""
    dtype = draw(dtypes)
    four_d = draw(st.booleans()) if four_d is None else four_d
    c = draw(st.integers(1, 4))
    if four_d:
        shape = (draw(st.integers(1, 3)), c, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        if shape[0] * shape[2] * shape[3] < 2:
            shape = (2,) + shape[1:]
    else:
        shape = (draw(st.integers(2, 6)), c)
    affine = draw(st.booleans()) if affine is None else affine
    return dict(
        x=draw(tensor(shape, -5, 5, dtype)),
        running_mean=draw(tensor((c,), -2, 2, dtype)),
        running_var=draw(tensor((c,), 0, 4, dtype)).abs() + 0.25,
        weight=draw(tensor((c,), -2, 2, dtype)) if affine else None,
        bias=draw(tensor((c,), -2, 2, dtype)) if affine else None,
        momentum=draw(st.one_of(st.sampled_from([0.1, 0.01, 0.5]), st.floats(0.0, 1.0))),
        eps=draw(st.sampled_from([1e-5, 1e-3, 0.1])),
    )


def call(sol, p, training, **changes):
    args = dict(p, **changes)
    out = sol.batch_norm_2d(args["x"], args["running_mean"], args["running_var"], args["weight"], args["bias"],
                            training, args["momentum"], args["eps"])
    expect(isinstance(out, (tuple, list)) and len(out) == 3,
           f"batch_norm_2d should return a tuple (y, new_running_mean, new_running_var), got {type(out).__name__}")
    return out


def oracle(p, training):
    rm, rv = p["running_mean"].double().clone(), p["running_var"].double().clone()
    w = None if p["weight"] is None else p["weight"].double()
    b = None if p["bias"] is None else p["bias"].double()
    y = F.batch_norm(p["x"].double(), rm, rv, w, b, training, p["momentum"], p["eps"])
    return y, rm, rv


def channel_dims(x):
    return [0] + list(range(2, x.dim()))


@suite.property("returns (y, new_running_mean, new_running_var): y with x's shape and dtype, the statistics (C,) with the running statistics' dtype, in both modes")
@given(p=problems(), training=st.booleans())
def output_contract(sol, p, training):
    y, mean, var = call(sol, p, training)
    c = p["x"].shape[1]
    expect_tensor(y, what="y", dtype=p["x"].dtype, shape=tuple(p["x"].shape))
    expect_tensor(mean, what="new_running_mean", dtype=p["running_mean"].dtype, shape=(c,))
    expect_tensor(var, what="new_running_var", dtype=p["running_var"].dtype, shape=(c,))


@suite.property("in training mode, y and the updated running statistics equal F.batch_norm(..., training=True) (within 5e-4 + 1e-4·|expected|)")
@given(p=problems())
def matches_torch_training(sol, p):
    y, mean, var = call(sol, p, True)
    ey, emean, evar = oracle(p, True)
    expect_close(y, ey, what="y", atol=ATOL, rtol=RTOL)
    expect_close(mean, emean, what="new_running_mean", atol=STAT_ATOL, rtol=RTOL)
    expect_close(var, evar, what="new_running_var", atol=STAT_ATOL, rtol=RTOL)


@suite.property("in evaluation mode, y equals F.batch_norm(..., training=False) and the running statistics come back unchanged")
@given(p=problems())
def matches_torch_eval(sol, p):
    y, mean, var = call(sol, p, False)
    ey, _, _ = oracle(p, False)
    expect_close(y, ey, what="y", atol=ATOL, rtol=RTOL)
    expect_close(mean, p["running_mean"], what="running mean returned in evaluation", atol=0, rtol=0)
    expect_close(var, p["running_var"], what="running variance returned in evaluation", atol=0, rtol=0)


@suite.property("worked example from the statement: x = [1, 2, 3, 6] in one channel, eps 0, momentum 0.1")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    p = dict(x=torch.tensor([[1.0], [2.0], [3.0], [6.0]], dtype=dtype), running_mean=torch.zeros(1, dtype=dtype),
             running_var=torch.ones(1, dtype=dtype), weight=None, bias=None, momentum=0.1, eps=0.0)
    y, mean, var = call(sol, p, True)
    expect_close(y.reshape(-1), torch.tensor([-2.0, -1.0, 0.0, 3.0]) / math.sqrt(3.5), what="y", atol=1e-5, rtol=RTOL)
    expect_close(mean, [0.3], what="new_running_mean", atol=1e-6, rtol=RTOL)
    expect_close(var, [0.9 + 0.1 * 14 / 3], what="new_running_var (0.9·1 + 0.1·14/3)", atol=1e-6, rtol=RTOL)


@suite.property("in training mode without weight and bias, every channel of y has mean 0 and mean square var / (var + eps): statistics are taken over the batch and every pixel of that channel")
@given(p=problems(affine=False))
def training_normalizes_each_channel(sol, p):
    y, _, _ = call(sol, p, True)
    x = p["x"].double()
    dims = channel_dims(x)
    var = x.var(dim=dims, unbiased=False)
    expect_close(torch.as_tensor(y).double().mean(dim=dims), torch.zeros_like(var), what="per-channel mean of y",
                 atol=ATOL, rtol=0)
    expect_close((torch.as_tensor(y).double() ** 2).mean(dim=dims), var / (var + p["eps"]),
                 what="per-channel mean of y² (uses the biased variance)", atol=ATOL, rtol=RTOL)


@suite.property("the running variance is updated with the unbiased batch variance (divide by n - 1, n = N·H·W), though y uses the biased one")
@given(p=problems())
def running_var_is_unbiased(sol, p):
    _, _, var = call(sol, p, True, momentum=1.0)
    x = p["x"].double()
    context(n_per_channel=x.numel() // x.shape[1])
    expect_close(var, x.var(dim=channel_dims(x), unbiased=True), what="new_running_var with momentum 1",
                 atol=STAT_ATOL, rtol=RTOL)


@suite.property("momentum is the weight of the NEW batch: momentum 0 keeps the running statistics, momentum 1 replaces them with the batch's")
@given(p=problems())
def momentum_convention(sol, p):
    _, mean, var = call(sol, p, True, momentum=0.0)
    expect_close(mean, p["running_mean"], what="new_running_mean with momentum 0", atol=STAT_ATOL, rtol=RTOL)
    expect_close(var, p["running_var"], what="new_running_var with momentum 0", atol=STAT_ATOL, rtol=RTOL)
    _, mean, _ = call(sol, p, True, momentum=1.0)
    expect_close(mean, p["x"].double().mean(dim=channel_dims(p["x"])), what="new_running_mean with momentum 1",
                 atol=STAT_ATOL, rtol=RTOL)


@suite.property("in evaluation mode each sample is normalized on its own with the running statistics: its output does not depend on the rest of the batch")
@given(p=problems(), i=st.integers(0, 5))
def eval_ignores_batch(sol, p, i):
    i = i % p["x"].shape[0]
    context(sample=i)
    y, _, _ = call(sol, p, False)
    alone, _, _ = call(sol, p, False, x=p["x"][i:i + 1].clone())
    expect_close(torch.as_tensor(y)[i:i + 1], alone, what=f"y of sample {i} in the batch against y of sample {i} alone",
                 atol=ATOL, rtol=RTOL)


@suite.property("weight scales and bias shifts the normalized value per channel: y = x̂·weight + bias, with None meaning 1 and 0")
@given(p=problems(affine=True), training=st.booleans())
def affine_per_channel(sol, p, training):
    plain, _, _ = call(sol, p, training, weight=None, bias=None)
    y, _, _ = call(sol, p, training)
    shape = [1, -1] + [1] * (p["x"].dim() - 2)
    expected = torch.as_tensor(plain).double() * p["weight"].double().view(shape) + p["bias"].double().view(shape)
    expect_close(y, expected, what="y with weight and bias against weight·(y without them) + bias", atol=ATOL, rtol=RTOL)
