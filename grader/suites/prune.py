"""Properties of structured filter pruning across conv -> batch norm -> conv, shared by every prune track."""

import copy
import math

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.suite import Suite, context, expect, expect_close, expect_equal, expect_raises, expect_tensor
from reference.ops.prune import filters_to_remove
from reference.ops.prune import prune_filters as reference_prune
from grader.suites.strategies import dtypes

suite = Suite("prune")

# Chain outputs are compared with a tolerance of 1e-5 of the largest |expected| value (plus 1e-5
# relative): float32 rounding of a few dozen products stays far below it.
TOL = 1e-5


@st.composite
def chains(draw, *, integral_norms=False):
    """(conv, bn, next_conv, x, amount): eval-mode modules with random structure; with
    ``integral_norms`` the weights are small integers, so equal L1 norms (ties) are common."""
    in_ch, out_ch, next_out = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 3))
    k1, k2 = draw(st.sampled_from([1, 3])), draw(st.sampled_from([1, 3]))
    bias1, bias2 = draw(st.booleans(), label="conv bias"), draw(st.booleans(), label="next_conv bias")
    affine = draw(st.booleans(), label="bn affine")
    dtype = draw(dtypes)
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1), label="seed"))

    def randn(*shape):
        if integral_norms:
            return torch.randint(-2, 3, shape, generator=generator).double()
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    conv = nn.Conv2d(in_ch, out_ch, k1, padding=k1 // 2, bias=bias1, dtype=dtype)
    bn = nn.BatchNorm2d(out_ch, affine=affine, dtype=dtype)
    next_conv = nn.Conv2d(out_ch, next_out, k2, stride=draw(st.integers(1, 2)), bias=bias2, dtype=dtype)
    with torch.no_grad():
        conv.weight.copy_(randn(*conv.weight.shape))
        if bias1:
            conv.bias.copy_(randn(out_ch))
        bn.running_mean.copy_(torch.randn(out_ch, generator=generator, dtype=torch.float64))
        bn.running_var.copy_(0.5 + torch.rand(out_ch, generator=generator, dtype=torch.float64))
        bn.num_batches_tracked.fill_(7)
        if affine:
            bn.weight.copy_(torch.randn(out_ch, generator=generator, dtype=torch.float64))
            bn.bias.copy_(torch.randn(out_ch, generator=generator, dtype=torch.float64))
        next_conv.weight.copy_(torch.randn(*next_conv.weight.shape, generator=generator, dtype=torch.float64))
        if bias2:
            next_conv.bias.copy_(torch.randn(next_out, generator=generator, dtype=torch.float64))
    for m in (conv, bn, next_conv):
        m.eval()
    x = torch.randn(2, in_ch, 5, 5, generator=generator, dtype=torch.float64).to(dtype)
    amount = draw(st.sampled_from([0.0, 0.125, 0.25, 1 / 3, 0.5, 0.6, 0.75, 0.9]), label="amount")
    return conv, bn, next_conv, x, amount


def pruned(sol, conv, bn, next_conv, amount):
    out = sol.prune_filters(conv, bn, next_conv, amount)
    expect(isinstance(out, (tuple, list)) and len(out) == 3,
           f"prune_filters should return a triple (conv, bn, next_conv), got {type(out).__name__}")
    new_conv, new_bn, new_next = out
    expect(isinstance(new_conv, nn.Conv2d), f"the first result should be an nn.Conv2d, got {type(new_conv).__name__}")
    expect(isinstance(new_bn, nn.BatchNorm2d), f"the second result should be an nn.BatchNorm2d, got {type(new_bn).__name__}")
    expect(isinstance(new_next, nn.Conv2d), f"the third result should be an nn.Conv2d, got {type(new_next).__name__}")
    return new_conv, new_bn, new_next


def run_chain(conv, bn, next_conv, x, zeroed=()):
    """next_conv(relu(bn(conv(x)))) in float64 on copies, with the listed channels set to 0 after the bn."""
    with torch.no_grad():
        y = copy.deepcopy(bn).double().eval()(copy.deepcopy(conv).double().eval()(x.double()))
        if len(zeroed):
            y[:, list(zeroed)] = 0.0
        return copy.deepcopy(next_conv).double().eval()(torch.relu(y))


def weights_of(*modules):
    labels = ("conv", "bn", "next_conv")
    return [(f"{label}.{name}", t) for label, m in zip(labels, modules) for name, t in m.state_dict().items()]


@suite.property("returns new nn.Conv2d, nn.BatchNorm2d, nn.Conv2d with C - floor(amount·C) channels where the filters were removed, in the inputs' dtype")
@given(chain=chains())
def output_contract(sol, chain):
    conv, bn, next_conv, _, amount = chain
    kept = conv.out_channels - math.floor(amount * conv.out_channels)
    new_conv, new_bn, new_next = pruned(sol, conv, bn, next_conv, amount)
    dtype = conv.weight.dtype
    expect_tensor(new_conv.weight, what="conv.weight", dtype=dtype, shape=(kept,) + tuple(conv.weight.shape[1:]))
    expect((new_conv.bias is None) == (conv.bias is None), "the pruned conv should have a bias exactly when the input conv has one")
    if conv.bias is not None:
        expect_tensor(new_conv.bias, what="conv.bias", dtype=dtype, shape=(kept,))
    expect_equal(new_conv.out_channels, kept, what="conv.out_channels")
    expect_equal(new_bn.num_features, kept, what="bn.num_features")
    for name in ("weight", "bias", "running_mean", "running_var"):
        if getattr(bn, name) is not None:
            expect_tensor(getattr(new_bn, name), what=f"bn.{name}", dtype=dtype, shape=(kept,))
    expect_tensor(new_next.weight, what="next_conv.weight", dtype=dtype,
                  shape=(next_conv.out_channels, kept) + tuple(next_conv.weight.shape[2:]))
    expect_equal(new_next.in_channels, kept, what="next_conv.in_channels")


@suite.property("stride, padding, kernel size, eps, momentum, bias presence and the next conv's outputs are kept as they were")
@given(chain=chains())
def keeps_hyperparameters(sol, chain):
    conv, bn, next_conv, _, amount = chain
    new_conv, new_bn, new_next = pruned(sol, conv, bn, next_conv, amount)
    for old, new, label in ((conv, new_conv, "conv"), (next_conv, new_next, "next_conv")):
        for name in ("kernel_size", "stride", "padding", "dilation", "groups", "padding_mode"):
            expect_equal(getattr(new, name), getattr(old, name), what=f"{label}.{name}")
    expect_equal(new_next.out_channels, next_conv.out_channels, what="next_conv.out_channels")
    expect((new_next.bias is None) == (next_conv.bias is None), "next_conv should keep (or keep lacking) its bias")
    if next_conv.bias is not None:
        expect_equal(new_next.bias.detach(), next_conv.bias.detach(), what="next_conv.bias (its outputs are not pruned)")
    for name in ("eps", "momentum", "affine", "track_running_stats"):
        expect_equal(getattr(new_bn, name), getattr(bn, name), what=f"bn.{name}")


@suite.property("the surviving filters, batch-norm channels and next-conv input channels are the reference's, in their original order")
@given(chain=chains())
def matches_reference(sol, chain):
    conv, bn, next_conv, _, amount = chain
    context(removed=filters_to_remove(conv.weight, amount))
    got = weights_of(*pruned(sol, conv, bn, next_conv, amount))
    want = weights_of(*reference_prune(conv, bn, next_conv, amount))
    got_names = dict(got)
    for name, tensor in want:
        if name.endswith("num_batches_tracked"):
            continue
        expect(name in got_names, f"the pruned modules have no {name}")
        expect_tensor(got_names[name], what=name, shape=tuple(tensor.shape))
        expect_equal(got_names[name], tensor, what=name)


@suite.property("the pruned chain next_conv(relu(bn(conv(x)))) equals the original chain with the removed channels set to 0 after the batch norm (eval mode)")
@given(chain=chains())
def chain_equals_zeroed_original(sol, chain):
    conv, bn, next_conv, x, amount = chain
    removed = filters_to_remove(conv.weight, amount)
    context(removed=removed)
    new_conv, new_bn, new_next = pruned(sol, conv, bn, next_conv, amount)
    got = run_chain(new_conv, new_bn, new_next, x)
    want = run_chain(conv, bn, next_conv, x, zeroed=removed)
    size = want.abs().max().item()
    expect_close(got, want, what="pruned chain output (tolerance 1e-5 of the largest value)", atol=TOL * size, rtol=TOL)


@suite.property("worked example from the statement: filters [2, -0.5, 0.5] with amount 0.5 lose filter 1 (norm 0.5, lower index than filter 2)")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    conv = nn.Conv2d(1, 3, 1, bias=False, dtype=dtype)
    bn = nn.BatchNorm2d(3, dtype=dtype).eval()
    next_conv = nn.Conv2d(3, 1, 1, bias=False, dtype=dtype)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([2.0, -0.5, 0.5]).reshape(3, 1, 1, 1))
        bn.bias.copy_(torch.tensor([0.0, 1.0, 2.0]))
        next_conv.weight.copy_(torch.tensor([1.0, 10.0, 100.0]).reshape(1, 3, 1, 1))
    new_conv, new_bn, new_next = pruned(sol, conv, bn, next_conv, 0.5)
    expect_equal(new_conv.weight.detach().flatten(), torch.tensor([2.0, 0.5], dtype=dtype), what="conv.weight")
    expect_equal(new_bn.bias.detach(), torch.tensor([0.0, 2.0], dtype=dtype), what="bn.bias")
    expect_equal(new_next.weight.detach().flatten(), torch.tensor([1.0, 100.0], dtype=dtype), what="next_conv.weight")


@suite.property("filters are ranked by L1 norm (sum of |w|), not by L2 norm and not by the signed sum")
@given(dtype=dtypes, order=st.permutations([0, 1, 2]))
def ranks_by_l1_norm(sol, dtype, order):
    # L1 / L2 / signed sum: [3, 0, 0, 0] -> 3 / 3 / 3; [1, 1, 1, 1] -> 4 / 2 / 4; [-2, -2, -2, 0] -> 6 / 3.5 / -6.
    filters = torch.tensor([[3.0, 0, 0, 0], [1.0, 1, 1, 1], [-2.0, -2, -2, 0]])[list(order)]
    context(filters=filters)
    conv = nn.Conv2d(1, 3, 2, bias=False, dtype=dtype)
    with torch.no_grad():
        conv.weight.copy_(filters.reshape(3, 1, 2, 2))
    bn, next_conv = nn.BatchNorm2d(3, dtype=dtype).eval(), nn.Conv2d(3, 1, 1, dtype=dtype)
    new_conv, _, _ = pruned(sol, conv, bn, next_conv, 0.4)
    survivors = filters[[i for i in range(3) if order[i] != 0]]
    expect_equal(new_conv.weight.detach().reshape(2, 4), survivors.to(dtype),
                 what="surviving filters ([3, 0, 0, 0] has the smallest L1 norm, 3, and must go)")


@suite.property("among filters of equal L1 norm, the one with the lower index is removed first")
@given(dtype=dtypes, c=st.integers(2, 6), removed=st.integers(1, 5))
def ties_lower_index_first(sol, dtype, c, removed):
    removed = min(removed, c - 1)
    amount = removed / c + 1e-9
    context(amount=amount)
    conv = nn.Conv2d(1, c, 1, bias=False, dtype=dtype)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([(-1.0) ** i for i in range(c)]).reshape(c, 1, 1, 1))
        conv.weight[-1].fill_(5.0)
    bn, next_conv = nn.BatchNorm2d(c, dtype=dtype).eval(), nn.Conv2d(c, 1, 1, bias=False, dtype=dtype)
    with torch.no_grad():
        next_conv.weight.copy_(torch.arange(c, dtype=dtype).reshape(1, c, 1, 1))
    _, _, new_next = pruned(sol, conv, bn, next_conv, amount)
    expect_equal(new_next.weight.detach().flatten(), torch.arange(removed, c, dtype=dtype),
                 what=f"kept input channels of next_conv (all norms 1 but the last; the first {removed} must go)")


@suite.property("the number removed is floor(amount·C): amount 0.5 of 3 filters removes 1, amount 0.9 of 5 removes 4")
@given(chain=chains(), amount=st.sampled_from([0.5, 0.9, 0.34, 0.99]))
def count_is_floor(sol, chain, amount):
    conv, bn, next_conv, _, _ = chain
    context(amount=amount)
    new_conv, _, _ = pruned(sol, conv, bn, next_conv, amount)
    expect_equal(new_conv.weight.shape[0], conv.out_channels - math.floor(amount * conv.out_channels),
                 what=f"filters left of {conv.out_channels}")


@suite.property("with ties everywhere (small integer weights) the removed channels are still the reference's")
@given(chain=chains(integral_norms=True))
def matches_reference_with_ties(sol, chain):
    conv, bn, next_conv, x, amount = chain
    removed = filters_to_remove(conv.weight, amount)
    context(removed=removed)
    got = run_chain(*pruned(sol, conv, bn, next_conv, amount), x)
    want = run_chain(conv, bn, next_conv, x, zeroed=removed)
    size = want.abs().max().item()
    expect_close(got, want, what="pruned chain output (tolerance 1e-5 of the largest value)", atol=TOL * size, rtol=TOL)


@suite.property("the results are new modules sharing no storage with the inputs, even with amount 0")
@given(chain=chains())
def returns_new_modules(sol, chain):
    conv, bn, next_conv, _, amount = chain
    out = pruned(sol, conv, bn, next_conv, amount)
    old = {t.untyped_storage().data_ptr() for _, t in weights_of(conv, bn, next_conv) if t.numel()}
    for (name, t) in weights_of(*out):
        if t.numel():
            expect(t.untyped_storage().data_ptr() not in old, f"{name} shares its storage with the input module's tensor")
    for new, original in zip(out, (conv, bn, next_conv)):
        expect(new is not original, f"{type(original).__name__} returned is the input module itself")


@suite.property("amount outside [0, 1) raises ValueError (1.0 would remove every filter)")
@given(chain=chains(), amount=st.sampled_from([1.0, 1.5, -0.1]))
def rejects_bad_amount(sol, chain, amount):
    conv, bn, next_conv, _, _ = chain
    expect_raises(ValueError, sol.prune_filters, conv, bn, next_conv, amount, what=f"prune_filters(..., amount={amount})")
