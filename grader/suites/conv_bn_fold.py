"""Properties of folding an eval-mode batch norm into the preceding convolution, shared by every
conv_bn_fold track."""

import copy

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.suite import Suite, context, expect, expect_close, expect_raises, expect_tensor
from reference.ops.conv_bn_fold import fold_conv_bn as reference_fold
from grader.suites.strategies import dtypes

suite = Suite("conv_bn_fold")

# Tolerance relative to the size of the result: |actual - expected| <= TOL·max|expected| + TOL·|expected|.
# A near-zero running variance multiplies a channel by up to ~10^4, so a fixed absolute tolerance
# would be meaningless; float32 rounding stays far below 1e-4 of the largest value.
TOL = 1e-4

# Fixed values from torch.nn.utils.fusion.fuse_conv_bn_weights (torch 2.14.1, float64) for these
# inputs; our reference agreed to the last bit. The suite never imports torch.nn.utils.fusion.
FIXED_WEIGHT = [[[[1.0, -2.0]]], [[[0.5, 0.25]]], [[[-1.5, 3.0]]]]
FIXED_CONV_BIAS = [0.5, -1.0, 2.0]
FIXED_MEAN = [1.0, -0.5, 0.25]
FIXED_VAR = [4.0, 0.25, 1e-8]
FIXED_GAMMA = [0.5, 2.0, -1.0]
FIXED_BETA = [0.1, -0.2, 0.3]
FIXED_EPS = 1e-5
TORCH_AFFINE_WEIGHT = [0.24999968750058593, -0.49999937500117186, 1.9999600011999599, 0.9999800005999799,
                       474.1046559307605, -948.209311861521]
TORCH_AFFINE_BIAS = [-0.02499984375029296, -2.19996000119996, -552.8220985858873]
TORCH_PLAIN_WEIGHT = [0.49999937500117186, -0.9999987500023437, 0.9999800005999799, 0.49999000029998997,
                      -474.1046559307605, 948.209311861521]
TORCH_PLAIN_BIAS = [-0.49999937500117186, 0.9999800005999799, -79.01744265512674]

HYPERPARAMETERS = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                   "padding_mode")


def expect_close_scaled(actual, expected, *, what):
    """Elementwise closeness with a tolerance scaled by the largest |expected| value."""
    expected = torch.as_tensor(expected).double()
    size = expected.abs().max().item() if expected.numel() else 0.0
    expect_close(actual, expected, what=f"{what} (tolerance relative to the largest value)", atol=TOL * size, rtol=TOL)


@st.composite
def conv_bn_pairs(draw, *, variance=None, conv_bias=None, affine=None, dtype=None):
    """(conv, bn, x): an eval-mode Conv2d and the BatchNorm2d after it, with an input batch.

    Hypothesis draws the structure (channels, groups, kernel, stride, padding, dilation, padding
    mode, bias, affine, eps, variance regime, dtype); a drawn seed fills the values.
    """
    groups = draw(st.sampled_from([1, 1, 2, 3]), label="groups")
    in_channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding_mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "circular"]), label="padding_mode")
    has_bias = draw(st.booleans(), label="conv bias") if conv_bias is None else conv_bias
    affine = draw(st.booleans(), label="affine") if affine is None else affine
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.1, 1e-8]), label="eps")
    if variance is None:
        variance = draw(st.sampled_from(["ordinary", "some near zero", "all near zero"]), label="variance")
    dtype = draw(dtypes) if dtype is None else dtype
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1), label="seed"))

    def randn(*shape):
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    conv = nn.Conv2d(in_channels, out_channels, kernel, stride, padding, dilation, groups, bias=has_bias,
                     padding_mode=padding_mode, dtype=dtype)
    bn = nn.BatchNorm2d(out_channels, eps=eps, affine=affine, dtype=dtype)
    with torch.no_grad():
        conv.weight.copy_(randn(*conv.weight.shape))
        if has_bias:
            conv.bias.copy_(randn(out_channels))
        bn.running_mean.copy_(randn(out_channels))
        var = 0.1 + 3 * torch.rand(out_channels, generator=generator, dtype=torch.float64)
        if variance == "all near zero":
            var[:] = 1e-8
        elif variance == "some near zero":
            var[torch.rand(out_channels, generator=generator) < 0.5] = 1e-8
        bn.running_var.copy_(var)
        bn.num_batches_tracked.fill_(100)
        if affine:
            bn.weight.copy_(randn(out_channels))
            bn.bias.copy_(randn(out_channels))
    conv.eval()
    bn.eval()
    # Large enough for at least one output position, and for reflect padding (padding < size).
    height = max(dilation[0] * (kernel[0] - 1) + 1 - 2 * padding[0], padding[0] + 1, 1) + draw(st.integers(0, 3))
    width = max(dilation[1] * (kernel[1] - 1) + 1 - 2 * padding[1], padding[1] + 1, 1) + draw(st.integers(0, 3))
    x = randn(draw(st.integers(1, 2)), in_channels, height, width).to(dtype)
    return conv, bn, x


def expected_output(conv, bn, x):
    """bn(conv(x)) with both modules in eval mode, computed in float64 on copies."""
    with torch.no_grad():
        return copy.deepcopy(bn).double()(copy.deepcopy(conv).double()(x.double()))


def fold_arguments(conv, bn):
    """fold_conv_bn's arguments, as detached tensors (None where the modules have none)."""
    def plain(t):
        return None if t is None else t.detach().clone()

    return (plain(conv.weight), plain(conv.bias), plain(bn.running_mean), plain(bn.running_var), plain(bn.weight),
            plain(bn.bias), bn.eps)


def show_modules(conv, bn, x):
    context(conv_weight=conv.weight, conv_bias=conv.bias, bn_running_mean=bn.running_mean,
            bn_running_var=bn.running_var, bn_weight=bn.weight, bn_bias=bn.bias, bn_eps=bn.eps, x_shape=tuple(x.shape))


def fold_of(sol, *args):
    out = sol.fold_conv_bn(*args)
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"fold_conv_bn should return a pair (weight, bias), got {type(out).__name__}")
    return out


def fused_conv(sol, conv, bn):
    fused = sol.fuse_conv_bn(conv, bn)
    expect(isinstance(fused, nn.Conv2d), f"fuse_conv_bn should return an nn.Conv2d, got {type(fused).__name__}")
    return fused


@suite.property(
    "fold_conv_bn returns (weight, bias): weight with the conv weight's shape, bias of shape "
    "(out_channels,), both with its dtype"
)
@given(modules=conv_bn_pairs())
def fold_output_contract(sol, modules):
    conv, bn, _ = modules
    args = fold_arguments(conv, bn)
    weight, bias = fold_of(sol, *args)
    expect_tensor(weight, what="the folded weight", dtype=args[0].dtype, shape=tuple(args[0].shape))
    expect_tensor(bias, what="the folded bias", dtype=args[0].dtype, shape=(args[0].shape[0],))


@suite.property(
    "worked example from the statement: two channels fold to weight [0.5, -2] and bias [-1.5, 4.5]"
)
@given(dtype=dtypes)
def fold_worked_example(sol, dtype):
    def t(values):
        return torch.tensor(values, dtype=dtype)

    weight, bias = fold_of(sol, t([[[[2.0]]], [[[-1.0]]]]), t([1.0, 0.0]), t([3.0, -2.0]), t([3.99, 0.24]),
                           t([0.5, 1.0]), t([-1.0, 0.5]), 0.01)
    expect_close_scaled(weight, [[[[0.5]]], [[[-2.0]]]], what="the folded weight")
    expect_close_scaled(bias, [-1.5, 4.5], what="the folded bias")


@suite.property(
    "fold_conv_bn scales each output channel's filter by bn_weight / sqrt(bn_var + eps) and folds the "
    "mean and both biases into the bias, with or without conv bias and affine"
)
@given(modules=conv_bn_pairs())
def fold_matches_reference(sol, modules):
    conv, bn, x = modules
    show_modules(conv, bn, x)
    args = fold_arguments(conv, bn)
    weight, bias = fold_of(sol, *args)
    want_weight, want_bias = reference_fold(*[a.double() if isinstance(a, torch.Tensor) else a for a in args])
    expect_close_scaled(weight, want_weight, what="the folded weight")
    expect_close_scaled(bias, want_bias, what="the folded bias")


@suite.property(
    "None means neutral: no conv bias acts as zeros, and a batch norm without affine (weight and bias "
    "None) acts as weight ones and bias zeros"
)
@given(modules=conv_bn_pairs(conv_bias=False, affine=False))
def fold_none_conventions(sol, modules):
    conv, bn, _ = modules
    w, _, mean, var, _, _, eps = fold_arguments(conv, bn)
    n = w.shape[0]
    zeros, ones = torch.zeros(n, dtype=w.dtype), torch.ones(n, dtype=w.dtype)
    with_none = fold_of(sol, w, None, mean, var, None, None, eps)
    explicit = fold_of(sol, w, zeros, mean, var, ones, zeros, eps)
    for i, name in enumerate(("weight", "bias")):
        expect_close_scaled(with_none[i], explicit[i].detach(),
                            what=f"the folded {name} with None against explicit ones/zeros")


@suite.property(
    "agrees with torch.nn.utils.fusion.fuse_conv_bn_weights on fixed values, one channel with running "
    "variance 1e-8 (affine with conv bias, and plain)"
)
@given(dtype=dtypes)
def fold_matches_torch_fusion(sol, dtype):
    def t(values):
        return torch.tensor(values, dtype=dtype)

    cases = (
        ("with conv bias and affine", t(FIXED_CONV_BIAS), t(FIXED_GAMMA), t(FIXED_BETA), TORCH_AFFINE_WEIGHT,
         TORCH_AFFINE_BIAS),
        ("without conv bias or affine", None, None, None, TORCH_PLAIN_WEIGHT, TORCH_PLAIN_BIAS),
    )
    for label, conv_bias, gamma, beta, want_weight, want_bias in cases:
        context(case=label)
        weight, bias = fold_of(sol, t(FIXED_WEIGHT), conv_bias, t(FIXED_MEAN), t(FIXED_VAR), gamma, beta, FIXED_EPS)
        expect_tensor(weight, what="the folded weight", shape=(3, 1, 1, 2))
        # Per channel: the third channel is ~1000x larger than the others, so scale each row by its own size.
        for c in range(3):
            expect_close_scaled(weight[c], torch.tensor(want_weight[2 * c : 2 * c + 2]).reshape(1, 1, 2),
                                what=f"the folded weight of channel {c} ({label})")
        expect_close_scaled(bias, want_bias, what=f"the folded bias ({label})")


@suite.property(
    "fuse_conv_bn returns a new nn.Conv2d in eval mode, with a bias, the conv's dtype and the same "
    "channels, kernel, stride, padding, dilation, groups and padding_mode"
)
@given(modules=conv_bn_pairs())
def fused_module_contract(sol, modules):
    conv, bn, _ = modules
    fused = fused_conv(sol, conv, bn)
    expect(fused is not conv, "fuse_conv_bn returned the input conv itself; build a new module")
    expect(not fused.training, "the fused conv is in training mode; return it in eval mode (call .eval())")
    expect(fused.bias is not None,
           "the fused conv has no bias: the batch norm's shift must go into a bias, even when the conv had none")
    for name in HYPERPARAMETERS:
        expect(getattr(fused, name) == getattr(conv, name),
               f"the fused conv's {name} is {getattr(fused, name)!r}, "
               f"but the original conv's is {getattr(conv, name)!r}")
    expect_tensor(fused.weight, what="the fused conv's weight", dtype=conv.weight.dtype, shape=tuple(conv.weight.shape))
    expect_tensor(fused.bias, what="the fused conv's bias", dtype=conv.weight.dtype, shape=(conv.out_channels,))


@suite.property(
    "the fused conv computes bn(conv(x)) for any stride, padding, dilation, groups, padding mode, eps, "
    "with or without conv bias and affine"
)
@given(modules=conv_bn_pairs())
def fused_matches_bn_of_conv(sol, modules):
    conv, bn, x = modules
    show_modules(conv, bn, x)
    expected = expected_output(conv, bn, x)
    fused = fused_conv(sol, conv, bn)
    with torch.no_grad():
        out = fused(x)
    expect_close_scaled(out, expected, what="fused(x) against bn(conv(x))")


@suite.property(
    "channels with a running variance near zero (1e-8) are divided by sqrt(var + eps), not sqrt(var): eps"
    " matters most there"
)
@given(modules=conv_bn_pairs(variance="all near zero"))
def tiny_variance(sol, modules):
    conv, bn, x = modules
    show_modules(conv, bn, x)
    expected = expected_output(conv, bn, x)
    with torch.no_grad():
        out = fused_conv(sol, conv, bn)(x)
    expect_close_scaled(out, expected, what="fused(x) against bn(conv(x)) with running variance 1e-8")


@suite.property(
    "refuses modules in training mode with ValueError: a training batch norm normalizes with the batch's "
    "statistics, which cannot be folded"
)
@given(modules=conv_bn_pairs(), which=st.sampled_from(["conv", "bn", "both"]))
def refuses_training_mode(sol, modules, which):
    conv, bn, _ = modules
    context(in_training_mode=which)
    if which in ("conv", "both"):
        conv.train()
    if which in ("bn", "both"):
        bn.train()
    expect_raises(ValueError, sol.fuse_conv_bn, conv, bn, what=f"fuse_conv_bn with {which} in training mode")


@suite.property(
    "refuses a batch norm without running statistics (track_running_stats=False) with ValueError: there "
    "is nothing to fold"
)
@given(modules=conv_bn_pairs())
def refuses_missing_running_stats(sol, modules):
    conv, bn, _ = modules
    bare = nn.BatchNorm2d(bn.num_features, eps=bn.eps, affine=bn.affine, track_running_stats=False,
                          dtype=conv.weight.dtype).eval()
    expect_raises(ValueError, sol.fuse_conv_bn, conv, bare,
                  what="fuse_conv_bn with a batch norm that has no running statistics")
