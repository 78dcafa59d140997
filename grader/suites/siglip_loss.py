"""Properties of SigLIP's pairwise sigmoid loss."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from reference.ops.siglip_loss import siglip_loss as reference_loss
from grader.suites.strategies import dtypes

suite = Suite("siglip_loss")

# Losses reach a few hundred at logit_scale 100: 1e-5 absolute + 1e-5 relative accepts float32.
ATOL, RTOL = 1e-5, 1e-5


@st.composite
def pairs(draw, *, min_n: int = 1):
    """(image_features, text_features): N pairs of random, not unit-length, D-dimensional rows."""
    n, d = draw(st.integers(min_n, 5)), draw(st.integers(1, 6))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    images = torch.randn(n, d, generator=gen, dtype=torch.float64) * 3
    # Texts lean towards their own image, as trained pairs do; the rest is noise.
    texts = images * draw(st.sampled_from((0.0, 0.5, 2.0))) + torch.randn(n, d, generator=gen, dtype=torch.float64)
    dtype = draw(dtypes)
    return images.to(dtype), texts.to(dtype)


scales = st.sampled_from((1.0, 10.0, 100.0)) | st.floats(0.5, 100.0)
biases = st.sampled_from((0.0, -10.0)) | st.floats(-20.0, 20.0)


def as_given(value, dtype, as_tensor):
    return torch.tensor(value, dtype=dtype) if as_tensor else value


@suite.property("returns a 0-d tensor (a scalar loss) with the features' dtype")
@given(pair=pairs(), scale=scales, bias=biases, as_tensor=st.booleans())
def output_contract(sol, pair, scale, bias, as_tensor):
    images, texts = pair
    out = sol.siglip_loss(images, texts, as_given(scale, images.dtype, as_tensor), as_given(bias, images.dtype, as_tensor))
    expect_tensor(out, what="siglip_loss(image_features, text_features, logit_scale, logit_bias)", dtype=images.dtype, shape=())


@suite.property("equals the reference loss, with logit_scale and logit_bias given as floats or 0-d tensors (within 1e-5 + 1e-5 relative)")
@given(pair=pairs(), scale=scales, bias=biases, as_tensor=st.booleans())
def matches_reference(sol, pair, scale, bias, as_tensor):
    images, texts = pair
    out = sol.siglip_loss(images, texts, as_given(scale, images.dtype, as_tensor), as_given(bias, images.dtype, as_tensor))
    expect_tensor(out, what="siglip_loss(image_features, text_features, logit_scale, logit_bias)", shape=())
    expect_close(out, reference_loss(images.double(), texts.double(), scale, bias), what="loss", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: two orthogonal pairs, scale 1, bias 0 give log(1 + e^-1) + log 2 = 1.006409")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    images = torch.tensor([[2.0, 0.0], [0.0, 3.0]], dtype=dtype)
    texts = torch.tensor([[5.0, 0.0], [0.0, 0.5]], dtype=dtype)
    out = sol.siglip_loss(images, texts, 1.0, 0.0)
    expect_close(out, torch.tensor(1.0064088681), what="loss", atol=ATOL, rtol=RTOL)


# Computed in a throwaway script with open_clip.loss.SigLipLoss (open_clip 3.x, torch 2.14), fed the
# L2-normalized rows below (the library expects normalized features), in float64.
OPEN_CLIP_IMAGES = [[1.0, 2.0, 0.0, -1.0], [0.0, 1.0, 3.0, 1.0], [2.0, -1.0, 1.0, 0.0]]
OPEN_CLIP_TEXTS = [[1.0, 1.0, 0.0, -2.0], [1.0, 0.0, 2.0, 2.0], [-1.0, 0.0, 1.0, 3.0]]
OPEN_CLIP_LOSSES = {  # (logit_scale, logit_bias) -> loss
    (10.0, -10.0): 5.061128550320787,
    (1.0, 0.0): 2.003221637882661,
    (100.0, -5.0): 42.65146144973609,
    (100.0, 50.0): 116.95793171787913,
}
# Gradients of the (10, -10) loss with respect to the raw rows (through the normalization), scale, bias.
OPEN_CLIP_GRADS = {
    "image_features": [
        [-0.07787637405342585, 0.3115319021798211, 1.0697856593975658e-05, 0.5451874303062154],
        [-0.2968161617996585, 0.2118251203837259, 0.05136478850300952, -0.365919485892754],
        [0.27205137020352177, 0.071680321175509, -0.4724224192315349, -1.2217416779970558],
    ],
    "text_features": [
        [-0.07763682173886821, -0.5453268432717813, 0.00014982567095156123, -0.3114818325053252],
        [0.2683476931266397, -0.29834001877198696, -0.3583669196084681, 0.2241930730451484],
        [-0.7815628442727625, 0.4134827843359712, -0.4397866613290556, -0.11392539431456898],
    ],
    "logit_scale": -0.4237216131014554,
    "logit_bias": -0.8988202484498727,
}


@suite.property("matches open_clip's SigLipLoss on fixed features, at scale/bias (10, -10), (1, 0), (100, -5) and (100, 50)")
@given(dtype=dtypes)
def open_clip_values(sol, dtype):
    images, texts = torch.tensor(OPEN_CLIP_IMAGES, dtype=dtype), torch.tensor(OPEN_CLIP_TEXTS, dtype=dtype)
    for (scale, bias), expected in OPEN_CLIP_LOSSES.items():
        out = sol.siglip_loss(images, texts, scale, bias)
        expect_close(out, torch.tensor(expected), what=f"loss at logit_scale={scale}, logit_bias={bias} against open_clip", atol=ATOL, rtol=RTOL)


def expect_grad_close(actual, expected, what):
    expected = torch.as_tensor(expected, dtype=torch.float64)
    expect(actual is not None, f"no gradient reached {what}: keep it in the autograd graph (no .item(), float() or numpy)")
    size = expected.abs().max().item() if expected.numel() else 0.0
    expect_close(actual, expected, what=f"gradient with respect to {what} (tolerance relative to its largest entry, {size:.3g})",
                 atol=1e-6 * (1.0 + size), rtol=1e-6)


@suite.property("gradients with respect to the features, logit_scale and logit_bias match open_clip's at (10, -10)")
@given(dtype=st.just(torch.float64))
def open_clip_gradients(sol, dtype):
    images = torch.tensor(OPEN_CLIP_IMAGES, dtype=dtype, requires_grad=True)
    texts = torch.tensor(OPEN_CLIP_TEXTS, dtype=dtype, requires_grad=True)
    scale = torch.tensor(10.0, dtype=dtype, requires_grad=True)
    bias = torch.tensor(-10.0, dtype=dtype, requires_grad=True)
    out = sol.siglip_loss(images, texts, scale, bias)
    expect(isinstance(out, torch.Tensor) and out.requires_grad, "the loss does not require grad: build it from torch operations on the inputs")
    grads = torch.autograd.grad(out, (images, texts, scale, bias), allow_unused=True)
    for name, grad in zip(("image_features", "text_features", "logit_scale", "logit_bias"), grads):
        expect_grad_close(grad, OPEN_CLIP_GRADS[name], name)


@suite.property("gradients with respect to the features, logit_scale and logit_bias equal the reference's (relative to their size)")
@given(pair=pairs(), scale=scales, bias=biases)
def gradients_match_reference(sol, pair, scale, bias):
    leaves = [pair[0].double(), pair[1].double(), torch.tensor(scale, dtype=torch.float64), torch.tensor(bias, dtype=torch.float64)]
    mine = [t.clone().requires_grad_(True) for t in leaves]
    ref = [t.clone().requires_grad_(True) for t in leaves]
    out = sol.siglip_loss(*mine)
    expect(isinstance(out, torch.Tensor) and out.requires_grad, "the loss does not require grad: build it from torch operations on the inputs")
    grads = torch.autograd.grad(out, mine, allow_unused=True)
    expected = torch.autograd.grad(reference_loss(*ref), ref)
    for name, grad, want in zip(("image_features", "text_features", "logit_scale", "logit_bias"), grads, expected):
        expect_grad_close(grad, want, name)


@suite.property("only directions matter: scaling any feature row by a positive factor leaves the loss unchanged")
@given(pair=pairs(), scale=scales, bias=biases, seed=st.integers(0, 2**31 - 1))
def feature_length_ignored(sol, pair, scale, bias, seed):
    images, texts = pair
    gen = torch.Generator().manual_seed(seed)
    factors = 2.0 ** torch.randint(-4, 5, (2, images.shape[0], 1), generator=gen)
    context(image_row_factors=factors[0, :, 0].tolist(), text_row_factors=factors[1, :, 0].tolist())
    scaled = sol.siglip_loss(images * factors[0].to(images.dtype), texts * factors[1].to(texts.dtype), scale, bias)
    expect_close(scaled, sol.siglip_loss(images, texts, scale, bias), what="loss after rescaling rows", atol=ATOL, rtol=RTOL)


@suite.property("images and texts play symmetric roles: swapping them gives the same loss")
@given(pair=pairs(), scale=scales, bias=biases)
def swap_symmetric(sol, pair, scale, bias):
    images, texts = pair
    expect_close(sol.siglip_loss(texts, images, scale, bias), sol.siglip_loss(images, texts, scale, bias),
                 what="siglip_loss(texts, images) against siglip_loss(images, texts)", atol=ATOL, rtol=RTOL)


@suite.property("reordering the pairs (the same permutation for images and texts) leaves the loss unchanged")
@given(pair=pairs(min_n=2), scale=scales, bias=biases, seed=st.integers(0, 2**31 - 1))
def pair_order_invariant(sol, pair, scale, bias, seed):
    images, texts = pair
    order = torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(seed))
    context(order=order.tolist())
    expect_close(sol.siglip_loss(images[order], texts[order], scale, bias), sol.siglip_loss(images, texts, scale, bias),
                 what="loss after reordering the pairs", atol=ATOL, rtol=RTOL)


@suite.property("stays finite and exact for huge logits (logit_bias of ±2000): use a stable log-sigmoid, never log(sigmoid(x))")
@given(pair=pairs(), scale=st.sampled_from((10.0, 100.0)), bias=st.sampled_from((-2000.0, 2000.0)))
def stable_for_large_logits(sol, pair, scale, bias):
    images, texts = pair
    out = sol.siglip_loss(images, texts, scale, bias)
    expect(isinstance(out, torch.Tensor) and bool(torch.isfinite(out).all()), f"the loss is not finite at logit_bias={bias}: {out}")
    expect_close(out, reference_loss(images.double(), texts.double(), scale, bias), what=f"loss at logit_bias={bias}", atol=ATOL, rtol=RTOL)
