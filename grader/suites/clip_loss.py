"""Properties of CLIP's symmetric contrastive loss, shared by every clip_loss track."""

import inspect
import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.memory import MemoryBenchmark
from grader.suite import Suite, context, expect, expect_close, expect_tensor
from reference.ops.clip_loss import clip_loss as reference_clip_loss
from reference.ops.clip_loss_chunked import clip_loss as reference_chunked_clip_loss
from grader.suites.strategies import dtypes

suite = Suite("clip_loss")

# A float32 solution at logit_scale 100 carries about 1e-5 of rounding in each logit; 1e-4 absolute
# plus 1e-4 relative accepts float32 or float64, cross_entropy or logsumexp, and still separates
# every known mistake by orders of magnitude.
ATOL, RTOL = 1e-4, 1e-4
# Gradients, over the whole tensor: ||g - g_ref|| <= GRAD_RTOL·||g_ref|| + GRAD_FLOOR·size, where
# size = logit_scale·||1 / row norms|| is how large the gradient can get. The floor matters when the
# exact gradient is zero (duplicated rows): float32 rounding then leaves about 1e-7·size behind.
GRAD_RTOL, GRAD_FLOOR = 1e-4, 1e-5

# Fixed values from open_clip 3.3.0's ClipLoss (torch 2.14.1, float64), fed the L2-normalized rows of
# these features; our reference agreed to the last bit. open_clip is never imported here.
OPEN_CLIP_IMAGE = [[0.5, -1.0, 2.0, 0.0], [1.5, 0.25, -0.5, 1.0], [-2.0, 1.0, 0.75, -0.5]]
OPEN_CLIP_TEXT = [[1.0, -0.5, 1.5, 0.5], [-1.0, 0.5, 0.0, -1.5], [0.0, 1.0, -1.0, 2.0]]
OPEN_CLIP_LOSS = {1.0: 1.3154261288894595, 1 / 0.07: 10.748300861339793, 100.0: 75.21864576036543}

# A typical CLIP temperature is 0.07 (scale 1/0.07); 100 is the clamp CLIP trains under.
scales = st.one_of(st.sampled_from([1.0, 1 / 0.07, 100.0]), st.floats(0.01, 100.0, allow_nan=False))


@st.composite
def features(draw, n: int, d: int, dtype=torch.float64):
    """An (n, d) tensor with no zero row, from a drawn seed (cheap to draw and to shrink).

    Either normal values or small integers with one entry per row forced to be nonzero; sometimes
    a row is repeated, the way a batch can hold two identical captions.
    """
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1), label="seed"))
    if draw(st.booleans(), label="integer-valued"):
        rows = torch.randint(-3, 4, (n, d), generator=generator).double()
        anchors = torch.randint(1, 4, (n,), generator=generator).double()
        rows[torch.arange(n), torch.randint(0, d, (n,), generator=generator)] = anchors
    else:
        rows = 2 * torch.randn(n, d, generator=generator, dtype=torch.float64)
    if n > 1 and draw(st.booleans(), label="repeat a row"):
        rows[-1] = rows[0]
    return rows.to(dtype)


@st.composite
def feature_pairs(draw, *, min_n: int = 1, max_n: int = 6, max_d: int = 6, dtype=None):
    """Image and text features (N, D) of one dtype: row i of each is the i-th matched pair."""
    n, d = draw(st.integers(min_n, max_n), label="N"), draw(st.integers(1, max_d), label="D")
    dtype = dtype if dtype is not None else draw(dtypes)
    return draw(features(n, d, dtype)), draw(features(n, d, dtype))


def expected_loss(image, text, scale):
    return reference_clip_loss(image.double(), text.double(), float(scale))


# The chunked track (clip_loss_chunked) has the same function with a trailing chunk_size parameter.
# Every property's inputs have at most 6 rows, so the suite passes chunk_size=2 wherever the
# solution takes one: 3 to 6 rows then span 2 or 3 tiles each way, the last one ragged when N is
# odd. The memory test runs the solution's default chunk_size on thousands of rows.
PROPERTY_CHUNK_SIZE = 2


def chunking(sol) -> dict:
    """``{"chunk_size": 2}`` when the solution's clip_loss takes a chunk_size, else nothing."""
    try:
        parameters = inspect.signature(sol.raw["clip_loss"]).parameters
    except (KeyError, TypeError, ValueError):
        return {}
    return {"chunk_size": PROPERTY_CHUNK_SIZE} if "chunk_size" in parameters else {}


def loss_of(sol, image, text, scale, what="clip_loss(image_features, text_features, logit_scale)"):
    out = sol.clip_loss(image, text, scale, **chunking(sol))
    expect_tensor(out, what=what, shape=())
    return out


@suite.property("returns a 0-d floating-point tensor (a single number), and it is finite")
@given(pair=feature_pairs(), scale=scales)
def output_contract(sol, pair, scale):
    out = loss_of(sol, *pair, scale)
    expect(out.is_floating_point(), f"the loss should be a floating-point tensor, got dtype {out.dtype}")
    expect(bool(torch.isfinite(out)), f"the loss should be finite, got {out.item()}")


@suite.property(
    "equals the mean of the image->text and text->image cross-entropies of the scaled cosine similarities"
)
@given(pair=feature_pairs(), scale=scales)
def matches_reference(sol, pair, scale):
    image, text = pair
    out = loss_of(sol, image, text, scale)
    expect_close(out, expected_loss(image, text, scale), what="the loss", atol=ATOL, rtol=RTOL)


@suite.property(
    "worked example from the statement: two pairs, logit_scale ln 3, loss (ln 2 + ln 4 - ln 3 / 2) / 2 ≈ "
    "0.765068"
)
@given(dtype=dtypes)
def worked_example(sol, dtype):
    image = torch.tensor([[2.0, 0.0], [0.0, 0.5]], dtype=dtype)
    text = torch.tensor([[3.0, 0.0], [1.0, 0.0]], dtype=dtype)
    out = loss_of(sol, image, text, math.log(3))
    expected = (math.log(2) + math.log(4) - math.log(3) / 2) / 2
    expect_close(out, torch.tensor(expected), what="the loss of the worked example", atol=ATOL, rtol=RTOL)


@suite.property(
    "when every image and every text embedding points the same way, the model cannot tell the pairs "
    "apart: the loss is ln N"
)
@given(n=st.integers(1, 6), rows=features(2, 5), scale=scales, dtype=dtypes)
def chance_level_is_log_n(sol, n, rows, scale, dtype):
    context(N=n)
    image = rows[0].expand(n, -1).to(dtype).clone()
    text = rows[1].expand(n, -1).to(dtype).clone()
    out = loss_of(sol, image, text, scale)
    expect_close(out, torch.tensor(math.log(n)), what=f"the loss of {n} indistinguishable pairs (ln {n})",
                 atol=ATOL, rtol=RTOL)


@suite.property(
    "N matched pairs that are orthogonal to each other have loss ln(1 + (N - 1)·exp(-logit_scale)): a "
    "larger scale (lower temperature) means a smaller loss"
)
@given(n=st.integers(2, 6), scale=scales, dtype=dtypes,
       stretch=st.lists(st.sampled_from([0.25, 0.5, 1.0, 3.0]), min_size=12, max_size=12))
def orthogonal_pairs_closed_form(sol, n, scale, dtype, stretch):
    # Rows of the identity, each stretched by a positive factor: cosine 1 on the diagonal, 0 elsewhere.
    image = torch.diag(torch.tensor(stretch[:n], dtype=dtype))
    text = torch.diag(torch.tensor(stretch[n : 2 * n], dtype=dtype))
    out = loss_of(sol, image, text, scale)
    expected = math.log1p((n - 1) * math.exp(-scale))
    expect_close(out, torch.tensor(expected), what=f"the loss of {n} orthogonal pairs at logit_scale {scale:g}",
                 atol=ATOL, rtol=RTOL)


@suite.property("is symmetric in the two modalities: swapping image and text features gives the same loss")
@given(pair=feature_pairs(min_n=2), scale=scales)
def symmetric_in_modalities(sol, pair, scale):
    image, text = pair
    forward = loss_of(sol, image, text, scale, what="clip_loss(image, text, s)")
    swapped = loss_of(sol, text, image, scale, what="clip_loss(text, image, s)")
    expect_close(swapped, forward, what="clip_loss(text, image, s) against clip_loss(image, text, s)",
                 atol=ATOL, rtol=RTOL)


@suite.property(
    "only which image goes with which text matters: shuffling the pairs (the same permutation on both "
    "sides) leaves the loss unchanged"
)
@given(pair=feature_pairs(min_n=2), scale=scales, data=st.data())
def pair_order_invariant(sol, pair, scale, data):
    image, text = pair
    order = data.draw(st.permutations(range(len(image))), label="permutation")
    context(permutation=order)
    shuffled = loss_of(sol, image[order], text[order], scale, what="the loss of the shuffled pairs")
    original = loss_of(sol, image, text, scale)
    expect_close(shuffled, original, what="the loss after shuffling the pairs", atol=ATOL, rtol=RTOL)


@suite.property(
    "only directions matter: multiplying any row of either input by a positive number leaves the loss "
    "unchanged (rows are L2-normalized)"
)
@given(pair=feature_pairs(min_n=2), scale=scales, data=st.data())
def row_scale_invariant(sol, pair, scale, data):
    image, text = pair
    n = len(image)
    factors = st.lists(st.sampled_from([0.001, 0.1, 0.5, 2.0, 10.0, 1000.0]), min_size=n, max_size=n)
    image_factors = data.draw(factors, label="image row factors")
    text_factors = data.draw(factors, label="text row factors")
    scaled_image = image * torch.tensor(image_factors, dtype=image.dtype)[:, None]
    scaled_text = text * torch.tensor(text_factors, dtype=text.dtype)[:, None]
    stretched = loss_of(sol, scaled_image, scaled_text, scale, what="the loss of the rescaled rows")
    original = loss_of(sol, image, text, scale)
    expect_close(stretched, original, what="the loss after rescaling rows", atol=ATOL, rtol=RTOL)


@suite.property(
    "stays finite and correct at logit_scale 100 with float32 features whose rows have norms near 1000 "
    "(no overflowing exp)"
)
@given(pair=feature_pairs(min_n=2, dtype=torch.float32), norm=st.sampled_from([1e2, 1e3, 3e3]))
def finite_at_large_scale(sol, pair, norm):
    image, text = pair
    context(row_norm=norm)
    image = image / image.norm(dim=1, keepdim=True) * norm
    text = text / text.norm(dim=1, keepdim=True) * norm
    out = loss_of(sol, image, text, 100.0)
    expect(bool(torch.isfinite(out)), f"the loss should be finite at logit_scale 100, got {out.item()}")
    expect_close(out, expected_loss(image, text, 100.0), what="the loss at logit_scale 100", atol=ATOL, rtol=RTOL)


@suite.property("logit_scale may be a Python float or a 0-d tensor; both give the same loss")
@given(pair=feature_pairs(), scale=scales)
def scale_float_or_tensor(sol, pair, scale):
    image, text = pair
    as_float = loss_of(sol, image, text, float(scale), what="clip_loss with logit_scale as a float")
    as_tensor = loss_of(sol, image, text, torch.tensor(scale, dtype=image.dtype),
                        what="clip_loss with logit_scale as a 0-d tensor")
    expected = expected_loss(image, text, scale)
    expect_close(as_float, expected, what="the loss with a float logit_scale", atol=ATOL, rtol=RTOL)
    expect_close(as_tensor, expected, what="the loss with a 0-d tensor logit_scale", atol=ATOL, rtol=RTOL)


def _grad_error(got, want) -> float:
    return (got.double() - want).norm().item()


@suite.property(
    "is differentiable: loss.backward() gives the same gradients for the image and the text features as "
    "the reference"
)
@given(pair=feature_pairs(), scale=scales)
def gradients_match_reference(sol, pair, scale):
    image = pair[0].clone().requires_grad_(True)
    text = pair[1].clone().requires_grad_(True)
    out = loss_of(sol, image, text, scale)
    expect(out.requires_grad, "the loss carries no gradient (requires_grad is False): is something detached, "
           "converted to numpy or taken with .item() on the way?")
    out.backward()
    ref_image = pair[0].double().requires_grad_(True)
    ref_text = pair[1].double().requires_grad_(True)
    reference_clip_loss(ref_image, ref_text, float(scale)).backward()
    for name, got, want, features in (("image_features", image.grad, ref_image.grad, pair[0]),
                                       ("text_features", text.grad, ref_text.grad, pair[1])):
        expect(got is not None, f"no gradient reached {name}")
        error, size = _grad_error(got, want), want.norm().item()
        floor = GRAD_FLOOR * float(scale) * (1 / features.double().norm(dim=1)).norm().item()
        expect(
            error <= GRAD_RTOL * size + floor,
            f"the gradient w.r.t. {name} is off: ||grad - expected|| = {error:.3g} but ||expected|| = {size:.3g} "
            f"(tolerance {GRAD_RTOL:g}·||expected|| + {floor:.3g}, the float32 rounding floor); "
            f"expected {want.tolist()}, got {got.tolist()}",
        )


@suite.property("agrees with open_clip's ClipLoss on fixed features at logit_scale 1, 1/0.07 and 100")
@given(dtype=dtypes)
def matches_open_clip(sol, dtype):
    image = torch.tensor(OPEN_CLIP_IMAGE, dtype=dtype)
    text = torch.tensor(OPEN_CLIP_TEXT, dtype=dtype)
    for scale, value in OPEN_CLIP_LOSS.items():
        context(logit_scale=scale)
        out = loss_of(sol, image, text, scale)
        expect_close(out, torch.tensor(value), what=f"the loss at logit_scale {scale:g} (open_clip gives {value:.10g})",
                     atol=ATOL, rtol=RTOL)


# --- memory at scale (challenges with a [memory] section: clip_loss_chunked) ----------------------
# N = 4096 float32 rows of D = 256 features at logit_scale 1/0.07: the naive loss adds about
# 270 MB (several N×N float32 matrices, 64 MB each), a tiled one with 1024-row tiles about 45 MB.
# The growth rule runs D = 64 at N = 4096 and 16384, where the naive loss would need gigabytes: the
# tiled reference gives the expected values there.


def _memory_inputs(size: int, features: int, generator: torch.Generator):
    image = torch.randn(size, features, generator=generator)
    text = torch.randn(size, features, generator=generator)
    return image, text, 1 / 0.07


def _memory_check(outputs, expected, where: str):
    expect(len(outputs) == 3 and outputs[0].shape == (), f"the loss at {where} should be a 0-d tensor")
    expect_close(outputs[0], expected[0], what=f"the loss at {where}", atol=ATOL, rtol=RTOL)
    for name, got, want in (("image_features", outputs[1], expected[1]), ("text_features", outputs[2], expected[2])):
        expect(got is not None and got.shape == want.shape, f"the gradient w.r.t. {name} at {where} is missing")
        error = (got.double() - want.double()).norm().item() / want.double().norm().item()
        expect(error <= 1e-3, f"the gradient w.r.t. {name} at {where} is off by {error:.3g} of its norm "
                              "(tolerance 1e-3): do tiles after the first one count?")


suite.memory_benchmark = MemoryBenchmark(
    function="clip_loss",
    make_inputs=_memory_inputs,
    differentiate=(0, 1),
    check=_memory_check,
    reference=reference_clip_loss,
    scalable_reference=reference_chunked_clip_loss,
)
