"""Properties of 2-D convolution (im2col + matrix product), shared by every conv2d track."""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from grader.suites.strategies import dtypes

suite = Suite("conv2d")

# Outputs sum up to 48 products of N(0, 1) values; float32 keeps them within 1e-5, so 1e-4 is safe.
ATOL, RTOL = 1e-4, 1e-4


@st.composite
def convs(draw, *, groups=None, pairs=None, bias=None):
    """dict(x, weight, bias, stride, padding, dilation, groups) with an output of at least 1×1; values from a drawn seed."""
    dtype = draw(dtypes)
    g = draw(st.integers(1, 3)) if groups is None else groups
    cin, cout = g * draw(st.integers(1, 3)), g * draw(st.integers(1, 3))
    k_h, k_w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s_h, s_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    p_h, p_w = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    d_h, d_w = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h = draw(st.integers(max(1, d_h * (k_h - 1) + 1 - 2 * p_h), 9))
    w = draw(st.integers(max(1, d_w * (k_w - 1) + 1 - 2 * p_w), 9))
    n = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    use_pairs = draw(st.booleans()) if pairs is None else pairs

    def arg(a, b):
        if use_pairs:
            return (a, b)
        return a if a == b or draw(st.booleans()) else (a, b)

    with_bias = draw(st.booleans()) if bias is None else bias
    return dict(
        x=torch.randn(n, cin, h, w, generator=gen, dtype=torch.float64).to(dtype),
        weight=torch.randn(cout, cin // g, k_h, k_w, generator=gen, dtype=torch.float64).to(dtype),
        bias=torch.randn(cout, generator=gen, dtype=torch.float64).to(dtype) if with_bias else None,
        stride=arg(s_h, s_w), padding=arg(p_h, p_w), dilation=arg(d_h, d_w), groups=g,
    )


def oracle(c, **changes):
    c = dict(c, **changes)
    bias = None if c["bias"] is None else c["bias"].double()
    return F.conv2d(c["x"].double(), c["weight"].double(), bias, c["stride"], c["padding"], c["dilation"], c["groups"])


def call(sol, c, **changes):
    c = dict(c, **changes)
    return sol.conv2d(c["x"], c["weight"], c["bias"], c["stride"], c["padding"], c["dilation"], c["groups"])


@suite.property("returns an (N, O, H_out, W_out) tensor with x's dtype, H_out = (H + 2·padding - dilation·(kH - 1) - 1) // stride + 1")
@given(c=convs())
def output_contract(sol, c):
    out = call(sol, c)
    expect_tensor(out, what="conv2d(x, weight, ...)", dtype=c["x"].dtype, shape=tuple(oracle(c).shape))


@suite.property("equals F.conv2d for every stride, padding, dilation and groups, with and without bias (within 1e-4 + 1e-4·|expected|)")
@given(c=convs())
def matches_conv2d(sol, c):
    out = call(sol, c)
    expected = oracle(c)
    expect_tensor(out, what="conv2d(x, weight, ...)", shape=tuple(expected.shape))
    expect_close(out, expected, what="output", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: the 3×3 image 1..9 with the 2×2 kernel [[1, 2], [0, -1]], a cross-correlation (the kernel is not flipped)")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    x = torch.arange(1.0, 10.0, dtype=dtype).reshape(1, 1, 3, 3)
    weight = torch.tensor([[[[1.0, 2.0], [0.0, -1.0]]]], dtype=dtype)
    expect_close(sol.conv2d(x, weight), [[[[0.0, 2.0], [6.0, 8.0]]]], what="conv2d(x, weight)", atol=1e-6, rtol=0)
    expect_close(sol.conv2d(x, weight, None, 2, 1), [[[[-1.0, -3.0], [1.0, 8.0]]]],
                 what="conv2d(x, weight, stride=2, padding=1)", atol=1e-6, rtol=0)


@suite.property("pairs are (height, width): a stride, padding or dilation of (a, b) applies a along the rows and b along the columns")
@given(c=convs(pairs=True))
def pairs_are_height_then_width(sol, c):
    expected = oracle(c)
    out = call(sol, c)
    expect_tensor(out, what="conv2d with (height, width) pairs", shape=tuple(expected.shape))
    expect_close(out, expected, what="output", atol=ATOL, rtol=RTOL)


@suite.property("gradients flow: the gradients with respect to x, weight and bias equal F.conv2d's (within 1e-4 of the largest gradient)")
@given(c=convs(bias=True), seed=st.integers(0, 2**31 - 1))
def gradients_match(sol, c, seed):
    leaves = {k: c[k].detach().clone().requires_grad_(True) for k in ("x", "weight", "bias")}
    out = call(sol, c, **leaves)
    expect(isinstance(out, torch.Tensor) and out.requires_grad,
           "the output is not connected to autograd: build it from torch operations on x, weight and bias (no numpy, no .detach(), no torch.tensor(...) of values)")
    upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    context(upstream_gradient_seed=seed)
    got = torch.autograd.grad(out, list(leaves.values()), upstream.to(out.dtype), allow_unused=True)
    ref_leaves = {k: v.detach().double().requires_grad_(True) for k, v in leaves.items()}
    ref_out = F.conv2d(ref_leaves["x"], ref_leaves["weight"], ref_leaves["bias"], c["stride"], c["padding"], c["dilation"], c["groups"])
    expected = torch.autograd.grad(ref_out, list(ref_leaves.values()), upstream)
    for name, g, e in zip(leaves, got, expected):
        expect(g is not None, f"no gradient reaches {name}")
        expect_close(g, e, what=f"gradient with respect to {name}", atol=ATOL * max(1.0, float(e.abs().max())), rtol=RTOL)


@suite.property("a 1×1 convolution is a matrix product over channels at every pixel: out[n, o] = Σ_c weight[o, c]·x[n, c]")
@given(c=convs(groups=1, bias=False))
def one_by_one_is_channel_matmul(sol, c):
    weight = c["weight"][:, :, :1, :1].contiguous()
    out = call(sol, c, weight=weight, stride=1, padding=0, dilation=1)
    expected = torch.einsum("oc,nchw->nohw", weight[:, :, 0, 0].double(), c["x"].double())
    expect_close(out, expected, what="1×1 convolution", atol=ATOL, rtol=RTOL)


@suite.property("groups split the channels: the result equals running each group's input channels through its own output channels and concatenating")
@given(c=convs(bias=False), g=st.integers(2, 3), seed=st.integers(0, 2**31 - 1))
def groups_split_channels(sol, c, g, seed):
    per_in, per_out = c["weight"].shape[1], c["weight"].shape[0] // c["groups"]
    n, _, h, w = c["x"].shape
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, g * per_in, h, w, generator=gen, dtype=torch.float64).to(c["x"].dtype)
    weight = torch.randn(g * per_out, per_in, *c["weight"].shape[2:], generator=gen, dtype=torch.float64).to(c["x"].dtype)
    context(groups=g, data_seed=seed)
    out = call(sol, c, x=x, weight=weight, groups=g)
    parts = [oracle(c, x=x[:, i * per_in:(i + 1) * per_in], weight=weight[i * per_out:(i + 1) * per_out], groups=1)
             for i in range(g)]
    expected = torch.cat(parts, dim=1)
    expect_tensor(out, what=f"conv2d with groups={g}", shape=tuple(expected.shape))
    expect_close(out, expected, what=f"output with groups={g}", atol=ATOL, rtol=RTOL)
