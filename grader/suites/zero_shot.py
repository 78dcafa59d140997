"""Properties of CLIP zero-shot classification with prompt ensembling."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from reference.ops.zero_shot import build_zero_shot_weights as reference_weights
from reference.ops.zero_shot import zero_shot_logits as reference_logits
from grader.suites.strategies import dtypes

suite = Suite("zero_shot")

# Unit vectors in float32: 1e-6 absolute + 1e-5 relative. Logits are up to 100 in size: 1e-4 absolute.
ATOL, RTOL = 1e-6, 1e-5
LOGIT_ATOL = 1e-4


@st.composite
def prompt_sets(draw, *, min_p: int = 1):
    """(C, P, D) text embeddings with random lengths (CLIP text features are not unit-length).

    The prompts of a class point roughly the same way (a unit direction plus noise of length
    at most 0.4), as real prompts of one class do, so their average is never near zero.
    """
    c, p, d = draw(st.integers(1, 4)), draw(st.integers(min_p, 4)), draw(st.integers(1, 5))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    direction = torch.nn.functional.normalize(torch.randn(c, 1, d, generator=gen, dtype=torch.float64), dim=-1)
    noise = (torch.rand(c, p, d, generator=gen, dtype=torch.float64) * 2 - 1) * 0.4 / d**0.5
    length = torch.rand(c, p, 1, generator=gen, dtype=torch.float64) * 10 + 0.1
    embeddings = (direction + noise) * length
    return embeddings.to(draw(dtypes))


@st.composite
def problems(draw):
    """(image_features (N, D), weights (C, D), logit_scale), all in one dtype."""
    prompts = draw(prompt_sets())
    n = draw(st.integers(1, 4))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    images = (torch.randn(n, prompts.shape[2], generator=gen, dtype=torch.float64) * 3 + 0.1).to(prompts.dtype)
    scale = draw(st.sampled_from((100.0, 1.0, 14.3, 50.0)))
    return images, reference_weights(prompts), scale


@suite.property("build_zero_shot_weights returns a (C, D) tensor (classes as rows) with the input's dtype")
@given(prompts=prompt_sets())
def weights_contract(sol, prompts):
    out = sol.build_zero_shot_weights(prompts)
    expect_tensor(out, what="build_zero_shot_weights(prompt_embeddings)", dtype=prompts.dtype, shape=(prompts.shape[0], prompts.shape[2]))


@suite.property("zero_shot_logits returns an (N, C) tensor with the image features' dtype")
@given(problem=problems())
def logits_contract(sol, problem):
    images, weights, scale = problem
    out = sol.zero_shot_logits(images, weights, scale)
    expect_tensor(out, what="zero_shot_logits(image_features, weights, logit_scale)", dtype=images.dtype, shape=(images.shape[0], weights.shape[0]))


@suite.property("class weights equal the reference: normalize each prompt, average, normalize again (within 1e-5)")
@given(prompts=prompt_sets())
def weights_match_reference(sol, prompts):
    out = sol.build_zero_shot_weights(prompts)
    expect_tensor(out, what="build_zero_shot_weights(prompt_embeddings)", shape=(prompts.shape[0], prompts.shape[2]))
    expect_close(out, reference_weights(prompts.double()), what="class weights", atol=ATOL, rtol=RTOL)


@suite.property("logits equal logit_scale times the cosine of each image with each class weight (within 1e-4 + 1e-5 relative)")
@given(problem=problems())
def logits_match_reference(sol, problem):
    images, weights, scale = problem
    context(logit_scale=scale)
    out = sol.zero_shot_logits(images, weights, scale)
    expect_tensor(out, what="zero_shot_logits(image_features, weights, logit_scale)", shape=(images.shape[0], weights.shape[0]))
    expect_close(out, reference_logits(images.double(), weights.double(), scale), what="logits", atol=LOGIT_ATOL, rtol=RTOL)


@suite.property("worked example from the statement: prompts [3,0,4] and [0,2,0] give the weight [0.424264, 0.707107, 0.565685]; image [1,2,2] scores 98.9949")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    prompts = torch.tensor([[[3.0, 0.0, 4.0], [0.0, 2.0, 0.0]]], dtype=dtype)
    weights = sol.build_zero_shot_weights(prompts)
    expect_close(weights, torch.tensor([[0.42426407, 0.70710678, 0.56568542]]), what="class weight", atol=ATOL, rtol=RTOL)
    logits = sol.zero_shot_logits(torch.tensor([[1.0, 2.0, 2.0]], dtype=dtype), weights)
    expect_close(logits, torch.tensor([[98.99494937]]), what="logit with the default logit_scale", atol=LOGIT_ATOL, rtol=RTOL)


# Computed in a throwaway script with open_clip's build_zero_shot_classifier (a stub model whose
# encode_text returns these embeddings, normalize=True), then 100 * normalized image @ classifier
# as open_clip's zero-shot evaluation does. open_clip returns (D, C); these are its transpose.
OPEN_CLIP_PROMPTS = [
    [[3.0, 0.0, 4.0], [0.0, 2.0, 0.0]],
    [[1.0, 1.0, 0.0], [0.0, -5.0, 5.0]],
    [[2.0, 0.0, 0.0], [0.0, 0.0, -1.0]],
]
OPEN_CLIP_WEIGHTS = [
    [0.42426406871192845, 0.7071067811865475, 0.565685424949238],
    [0.7071067811865476, 0.0, 0.7071067811865476],
    [0.7071067811865475, 0.0, -0.7071067811865475],
]
OPEN_CLIP_IMAGES = [[1.0, 2.0, 2.0], [0.0, -3.0, 4.0]]
OPEN_CLIP_LOGITS = [
    [98.99494936611663, 70.71067811865474, -23.570226039551578],
    [2.8284271247461916, 56.568542494923804, -56.5685424949238],
]


@suite.property("matches values computed with open_clip's zero-shot classifier builder on fixed embeddings (3 classes, 2 prompts)")
@given(dtype=dtypes)
def open_clip_values(sol, dtype):
    weights = sol.build_zero_shot_weights(torch.tensor(OPEN_CLIP_PROMPTS, dtype=dtype))
    expect_close(weights, torch.tensor(OPEN_CLIP_WEIGHTS), what="class weights against open_clip", atol=ATOL, rtol=RTOL)
    logits = sol.zero_shot_logits(torch.tensor(OPEN_CLIP_IMAGES, dtype=dtype), weights, 100.0)
    expect_close(logits, torch.tensor(OPEN_CLIP_LOGITS), what="logits against open_clip", atol=LOGIT_ATOL, rtol=RTOL)


@suite.property("every class weight has unit length")
@given(prompts=prompt_sets())
def weights_are_unit_rows(sol, prompts):
    out = sol.build_zero_shot_weights(prompts)
    expect_close(out.double().norm(dim=-1), torch.ones(prompts.shape[0]), what="L2 norm of each class weight", atol=1e-5, rtol=0)


@suite.property("a prompt's embedding length does not matter: scaling one prompt's embedding changes nothing (each prompt is normalized before averaging)")
@given(prompts=prompt_sets(min_p=2), cls=st.integers(0, 3), prompt=st.integers(0, 3), power=st.integers(1, 6))
def prompt_length_ignored(sol, prompts, cls, prompt, power):
    cls, prompt = cls % prompts.shape[0], prompt % prompts.shape[1]
    factor = 4.0**power
    context(scaled_class=cls, scaled_prompt=prompt, factor=factor)
    louder = prompts.clone()
    louder[cls, prompt] *= factor
    expect_close(sol.build_zero_shot_weights(louder), sol.build_zero_shot_weights(prompts),
                 what="class weights after scaling one prompt embedding", atol=ATOL, rtol=RTOL)


@suite.property("the order of the prompts does not matter")
@given(prompts=prompt_sets(min_p=2), seed=st.integers(0, 2**31 - 1))
def prompt_order_invariant(sol, prompts, seed):
    order = torch.randperm(prompts.shape[1], generator=torch.Generator().manual_seed(seed))
    context(prompt_order=order.tolist())
    expect_close(sol.build_zero_shot_weights(prompts[:, order]), sol.build_zero_shot_weights(prompts),
                 what="class weights after reordering the prompts", atol=ATOL, rtol=RTOL)


@suite.property("an image feature's length does not matter: scaling an image feature leaves its logits unchanged")
@given(problem=problems(), power=st.integers(-4, 4))
def image_length_ignored(sol, problem, power):
    images, weights, scale = problem
    factor = 4.0**power
    context(factor=factor, logit_scale=scale)
    expect_close(sol.zero_shot_logits(images * factor, weights, scale), sol.zero_shot_logits(images, weights, scale),
                 what="logits after scaling the image features", atol=LOGIT_ATOL, rtol=RTOL)


@suite.property("logits are cosines times logit_scale, so they lie in [-logit_scale, logit_scale]")
@given(problem=problems())
def logits_bounded(sol, problem):
    images, weights, scale = problem
    context(logit_scale=scale)
    out = sol.zero_shot_logits(images, weights, scale).double()
    worst = out.abs().max().item()
    expect(worst <= scale * (1 + 1e-5), f"found a logit of size {worst:.6g}, larger than logit_scale = {scale}")
