"""Properties of Flamingo's gated cross-attention block."""

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.suite import Suite, context, expect, expect_close, expect_equal, expect_tensor
from reference.ops.gated_xattn import gated_cross_attention_block as reference_block
from grader.suites.strategies import dtypes

suite = Suite("gated_xattn")

# Attention, layer norm and a small MLP in float32: 1e-5 absolute + 1e-5 relative.
ATOL, RTOL = 1e-5, 1e-5


def build_modules(d, heads, gen, dtype):
    """attn, ff, norm_attn, norm_ff with weights drawn from ``gen``, in training mode (dropout 0)."""
    attn = nn.MultiheadAttention(d, heads, batch_first=True)
    ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
    norm_attn, norm_ff = nn.LayerNorm(d), nn.LayerNorm(d)
    modules = [attn, ff, norm_attn, norm_ff]
    with torch.no_grad():
        for module in modules:
            for name, p in module.named_parameters():
                base = 1.0 if name == "weight" and isinstance(module, nn.LayerNorm) else 0.0
                p.copy_(base + 0.4 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    return [m.to(dtype) for m in modules]


@st.composite
def blocks(draw, *, alphas=st.floats(-3.0, 3.0), min_b: int = 1):
    """A dict of every argument of the block: tokens, media, modules and 0-d gate tensors."""
    b, l, m = draw(st.integers(min_b, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    heads = draw(st.sampled_from((1, 2)))
    d = heads * draw(st.integers(1, 3))
    dtype = draw(dtypes)
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    attn, ff, norm_attn, norm_ff = build_modules(d, heads, gen, dtype)
    x = torch.randn(b, l, d, generator=gen, dtype=torch.float64).to(dtype)
    media = (torch.randn(b, m, d, generator=gen, dtype=torch.float64) * 2).to(dtype)
    gates = [torch.tensor(draw(alphas), dtype=dtype) for _ in range(2)]
    return dict(x=x, media=media, attn=attn, ff=ff, norm_attn=norm_attn, norm_ff=norm_ff,
                alpha_attn=gates[0], alpha_ff=gates[1])


def call(sol, args):
    return sol.gated_cross_attention_block(args["x"], args["media"], args["attn"], args["ff"], args["norm_attn"],
                                           args["norm_ff"], args["alpha_attn"], args["alpha_ff"])


def expected(args):
    with torch.no_grad():
        return reference_block(**args)


@suite.property("returns a (B, L, D) tensor with x's dtype")
@given(args=blocks())
def output_contract(sol, args):
    out = call(sol, args)
    expect_tensor(out, what="gated_cross_attention_block(...)", dtype=args["x"].dtype, shape=tuple(args["x"].shape))


@suite.property("equals x + tanh(alpha_attn)·attn(norm_attn(x), media, media)[0], then + tanh(alpha_ff)·ff(norm_ff(·)) of that result (within 1e-5)")
@given(args=blocks())
def matches_reference(sol, args):
    context(alpha_attn=args["alpha_attn"].item(), alpha_ff=args["alpha_ff"].item())
    out = call(sol, args)
    expect_tensor(out, what="gated_cross_attention_block(...)", shape=tuple(args["x"].shape))
    expect_close(out, expected(args), what="block output", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: x [1, 2], one media token [4, -2], gates tanh = 0.5 give [6, 2]; closed gates give [1, 2]")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    attn = nn.MultiheadAttention(2, 1, batch_first=True).to(dtype)
    ff = nn.Linear(2, 2, bias=False).to(dtype)
    with torch.no_grad():
        attn.in_proj_weight.copy_(torch.eye(2).repeat(3, 1))
        attn.in_proj_bias.zero_()
        attn.out_proj.weight.copy_(torch.eye(2))
        attn.out_proj.bias.zero_()
        ff.weight.copy_(2 * torch.eye(2))
    x = torch.tensor([[[1.0, 2.0]]], dtype=dtype)
    media = torch.tensor([[[4.0, -2.0]]], dtype=dtype)
    half = torch.atanh(torch.tensor(0.5, dtype=dtype))
    out = sol.gated_cross_attention_block(x, media, attn, ff, nn.Identity(), nn.Identity(), half, half)
    expect_close(out, torch.tensor([[[6.0, 2.0]]]), what="block output with tanh(alpha) = 0.5 for both gates", atol=ATOL, rtol=RTOL)
    zero = torch.tensor(0.0, dtype=dtype)
    out = sol.gated_cross_attention_block(x, media, attn, ff, nn.Identity(), nn.Identity(), half, zero)
    expect_close(out, torch.tensor([[[3.0, 1.0]]]), what="block output with the feed-forward gate closed", atol=ATOL, rtol=RTOL)
    out = sol.gated_cross_attention_block(x, media, attn, ff, nn.Identity(), nn.Identity(), zero, zero)
    expect_close(out, x, what="block output with both gates closed", atol=0, rtol=0)


@suite.property("with both gates at 0 the output is exactly x (bit for bit), whatever the media: the frozen language model is untouched at initialisation")
@given(args=blocks(alphas=st.just(0.0)), loud=st.sampled_from((1.0, 1e3)))
def closed_gates_are_identity(sol, args, loud):
    context(media_scale=loud)
    args["media"] = args["media"] * loud
    out = call(sol, args)
    expect_tensor(out, what="gated_cross_attention_block(...)", shape=tuple(args["x"].shape))
    expect_equal(out.detach(), args["x"], what="block output with alpha_attn = alpha_ff = 0")


@suite.property("with the attention gate closed, the media have no influence on the output")
@given(args=blocks(), seed=st.integers(0, 2**31 - 1))
def closed_attention_gate_ignores_media(sol, args, seed):
    args["alpha_attn"] = torch.zeros_like(args["alpha_attn"])
    context(alpha_ff=args["alpha_ff"].item())
    before = call(sol, args)
    other = dict(args, media=torch.randn(args["media"].shape, generator=torch.Generator().manual_seed(seed)).to(args["media"].dtype))
    expect_close(call(sol, other), before, what="block output after replacing the media (alpha_attn = 0)", atol=ATOL, rtol=RTOL)


@suite.property("each sample attends only to its own media: changing sample 0's media leaves the other samples unchanged")
@given(args=blocks(min_b=2))
def samples_are_independent(sol, args):
    before = call(sol, args)
    media = args["media"].clone()
    media[0] = media[0].flip(-1) * 3 + 1
    after = call(sol, dict(args, media=media))
    expect_close(after[1:], before[1:], what="output of samples 1.. after changing sample 0's media", atol=ATOL, rtol=RTOL)


@suite.property("the gates learn from zero: at alpha = 0 the gradients reaching alpha_attn and alpha_ff equal the reference's (tanh'(0) = 1)")
@given(args=blocks(alphas=st.just(0.0)))
def gates_learn_from_zero(sol, args):
    dtype = torch.float64
    args = dict(args, x=args["x"].to(dtype), media=args["media"].to(dtype),
                **{k: args[k].to(dtype) for k in ("attn", "ff", "norm_attn", "norm_ff")})
    mine = [torch.zeros((), dtype=dtype, requires_grad=True) for _ in range(2)]
    out = call(sol, dict(args, alpha_attn=mine[0], alpha_ff=mine[1]))
    expect(isinstance(out, torch.Tensor) and out.requires_grad,
           "the output does not require grad: the gates must stay tensors in the graph (no float(), .item() or math.tanh)")
    weight = torch.linspace(-1, 1, out.numel(), dtype=dtype).reshape(out.shape)
    grads = torch.autograd.grad((out * weight).sum(), mine, allow_unused=True)
    ref = [torch.zeros((), dtype=dtype, requires_grad=True) for _ in range(2)]
    want = torch.autograd.grad((reference_block(**dict(args, alpha_attn=ref[0], alpha_ff=ref[1])) * weight).sum(), ref)
    for name, grad, w in zip(("alpha_attn", "alpha_ff"), grads, want):
        expect(grad is not None, f"no gradient reached {name}: a gate that gets no gradient stays closed forever")
        expect_close(grad, w, what=f"gradient with respect to {name}", atol=1e-8 * (1 + abs(w.item())), rtol=1e-6)
