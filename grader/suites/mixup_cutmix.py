"""Properties of MixUp and CutMix on a batch, shared by every mixup_cutmix track."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from reference.ops.mixup_cutmix import cutmix as reference_cutmix
from reference.ops.mixup_cutmix import cutmix_box
from reference.ops.mixup_cutmix import mixup as reference_mixup
from grader.suites.strategies import dtypes

suite = Suite("mixup_cutmix")

# Blending rounds once in float32; 1e-6 relative to values of size <= 1e3 still catches any wrong weight.
ATOL, RTOL = 1e-5, 1e-6
LAM_TOL = 1e-9

lams = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(0.0, 1.0))


@st.composite
def batches(draw, *, distinct: bool = False, min_n: int = 1, one_hot: bool | None = None):
    """dict(images (N, C, H, W), targets (N, K), perm, center). ``distinct``: every pixel value differs."""
    dtype = draw(dtypes)
    n, c = draw(st.integers(min_n, 4)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    if distinct:
        images = torch.arange(n * c * h * w, dtype=dtype).reshape(n, c, h, w) + 1
    else:
        # Pixel values from a drawn seed: hypothesis draws one integer instead of hundreds of floats.
        generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
        images = (torch.rand(n, c, h, w, generator=generator, dtype=torch.float64) * 200 - 100).to(dtype)
    k = draw(st.integers(2, 5))
    one_hot = draw(st.booleans()) if one_hot is None else one_hot
    if one_hot:
        labels = torch.tensor([draw(st.integers(0, k - 1)) for _ in range(n)])
        targets = torch.nn.functional.one_hot(labels, k).to(dtype)
    else:
        raw = torch.tensor([[draw(st.floats(0.01, 1.0)) for _ in range(k)] for _ in range(n)], dtype=dtype)
        targets = raw / raw.sum(1, keepdim=True)
    perm = torch.tensor(draw(st.permutations(range(n))), dtype=torch.int64)
    center = (draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1)))
    return dict(images=images, targets=targets, perm=perm, center=center)


def run_cutmix(sol, b, lam):
    out = sol.cutmix(b["images"], b["targets"], lam, b["perm"], b["center"])
    expect(isinstance(out, (tuple, list)) and len(out) == 3,
           f"cutmix should return a tuple (images, targets, lam_used), got {type(out).__name__}")
    return out


def run_mixup(sol, b, lam):
    out = sol.mixup(b["images"], b["targets"], lam, b["perm"])
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"mixup should return a tuple (images, targets), got {type(out).__name__}")
    return out


def pasted_mask(b, mixed):
    """Where the output differs from the image's own pixels (needs distinct pixel values and a partner that is not itself)."""
    return (torch.as_tensor(mixed) != b["images"])


@suite.property("mixup returns (images, targets): new tensors with the inputs' shapes and dtypes")
@given(b=batches(), lam=lams)
def mixup_output_contract(sol, b, lam):
    images, targets = run_mixup(sol, b, lam)
    expect_tensor(images, what="mixed images", dtype=b["images"].dtype, shape=tuple(b["images"].shape))
    expect_tensor(targets, what="mixed targets", dtype=b["targets"].dtype, shape=tuple(b["targets"].shape))


@suite.property("cutmix returns (images, targets, lam_used): tensors with the inputs' shapes and dtypes, and lam_used a Python float")
@given(b=batches(), lam=lams)
def cutmix_output_contract(sol, b, lam):
    images, targets, lam_used = run_cutmix(sol, b, lam)
    expect_tensor(images, what="cut-mixed images", dtype=b["images"].dtype, shape=tuple(b["images"].shape))
    expect_tensor(targets, what="cut-mixed targets", dtype=b["targets"].dtype, shape=tuple(b["targets"].shape))
    expect(isinstance(lam_used, (int, float)) and not isinstance(lam_used, bool),
           f"lam_used should be a Python float, got {type(lam_used).__name__}: {lam_used!r}")


@suite.property("mixup equals lam·x + (1 - lam)·x[perm] for the images and for the targets")
@given(b=batches(), lam=lams)
def mixup_matches_reference(sol, b, lam):
    images, targets = run_mixup(sol, b, lam)
    want_images, want_targets = reference_mixup(b["images"].double(), b["targets"].double(), lam, b["perm"])
    expect_close(images, want_images, what="mixed images", atol=ATOL, rtol=RTOL)
    expect_close(targets, want_targets, what="mixed targets", atol=ATOL, rtol=RTOL)


@suite.property("lam is the weight of each sample's OWN image: lam = 1 returns the batch as it was, lam = 0 returns the partners x[perm]")
@given(b=batches(min_n=2))
def mixup_lam_endpoints(sol, b):
    images, targets = run_mixup(sol, b, 1.0)
    expect_close(images, b["images"], what="images with lam = 1", atol=ATOL, rtol=RTOL)
    expect_close(targets, b["targets"], what="targets with lam = 1", atol=ATOL, rtol=RTOL)
    images, targets = run_mixup(sol, b, 0.0)
    expect_close(images, b["images"][b["perm"]], what="images with lam = 0", atol=ATOL, rtol=RTOL)
    expect_close(targets, b["targets"][b["perm"]], what="targets with lam = 0", atol=ATOL, rtol=RTOL)


@suite.property("cutmix equals the reference: the partner's box pasted into every image, targets mixed by lam_used")
@given(b=batches(), lam=lams)
def cutmix_matches_reference(sol, b, lam):
    images, targets, lam_used = run_cutmix(sol, b, lam)
    want_images, want_targets, want_lam = reference_cutmix(b["images"].double(), b["targets"].double(), lam, b["perm"], b["center"])
    context(box_y_low_high_x_low_high=cutmix_box(*b["images"].shape[-2:], lam, b["center"]))
    expect_close(images, want_images, what="cut-mixed images", atol=0, rtol=0)
    expect_close(lam_used, want_lam, what="lam_used", atol=LAM_TOL, rtol=0)
    expect_close(targets, want_targets, what="cut-mixed targets", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: two 4×4 images (zeros and ones), swapped partners")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    images = torch.stack([torch.zeros(1, 4, 4), torch.ones(1, 4, 4)]).to(dtype)
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)
    perm = torch.tensor([1, 0])
    b = dict(images=images, targets=targets, perm=perm)
    mixed, mixed_targets = run_mixup(sol, b, 0.7)
    expect_close(mixed[:, 0, 0, 0], [0.3, 0.7], what="mixup images (every pixel)", atol=ATOL, rtol=RTOL)
    expect_close(mixed_targets, [[0.7, 0.3], [0.3, 0.7]], what="mixup targets", atol=ATOL, rtol=RTOL)
    out, out_targets, lam_used = sol.cutmix(images, targets, 0.75, perm, (0, 3))
    expected = torch.zeros(4, 4)
    expected[0, 2:4] = 1.0
    expect_close(torch.as_tensor(out)[0, 0], expected, what="cutmix image 0 with center (0, 3)", atol=0, rtol=0)
    expect_close(lam_used, 0.875, what="lam_used with center (0, 3)", atol=LAM_TOL, rtol=0)
    expect_close(out_targets, [[0.875, 0.125], [0.125, 0.875]], what="cutmix targets", atol=ATOL, rtol=RTOL)
    _, _, lam_used = sol.cutmix(images, targets, 0.75, perm, (2, 2))
    expect_close(lam_used, 0.75, what="lam_used with center (2, 2)", atol=LAM_TOL, rtol=0)


# From timm 1.x: timm.data.mixup.cutmix_bbox_and_lam((N, C, H, W), lam, correct_lam=True) with
# np.random.randint patched to return cy, then cx. (H, W, lam, cy, cx) -> ((y_low, y_high, x_low, x_high), lam_used).
TIMM_BOXES = {
    (8, 8, 0.75, 4, 4): ((2, 6, 2, 6), 0.75),
    (8, 8, 0.75, 0, 7): ((0, 2, 5, 8), 0.90625),
    (7, 5, 0.5, 3, 2): ((1, 5, 1, 4), 0.6571428571428571),
    (7, 5, 0.3, 6, 0): ((4, 7, 0, 2), 0.8285714285714285),
    (6, 9, 0.1, 2, 5): ((0, 5, 1, 9), 0.2592592592592593),
    (5, 5, 0.0, 2, 2): ((0, 5, 0, 5), 0.0),
    (5, 5, 1.0, 2, 2): ((2, 2, 2, 2), 1.0),
    (9, 4, 0.6, 1, 3): ((0, 4, 2, 4), 0.7777777777777778),
    (4, 10, 0.2, 3, 9): ((2, 4, 5, 10), 0.75),
    (1, 6, 0.4, 0, 1): ((0, 0, 0, 3), 1.0),
}


@suite.property("the pasted box is the one timm's rand_bbox gives for (H, W, lam, center): rows follow H and cy, columns W and cx, odd cuts extend one pixel past the centre")
@given(key=st.sampled_from(sorted(TIMM_BOXES)), dtype=dtypes)
def box_matches_timm(sol, key, dtype):
    h, w, lam, cy, cx = key
    (y1, y2, x1, x2), timm_lam = TIMM_BOXES[key]
    context(image_size=(h, w), timm_box=f"rows {y1}:{y2}, columns {x1}:{x2}")
    images = torch.stack([torch.zeros(2, h, w), torch.ones(2, h, w)]).to(dtype)
    targets = torch.eye(2, dtype=dtype)
    out, _, lam_used = sol.cutmix(images, targets, lam, torch.tensor([1, 0]), (cy, cx))
    expected = torch.zeros(2, h, w)
    expected[:, y1:y2, x1:x2] = 1.0
    expect_close(torch.as_tensor(out)[0], expected, what="image 0 (ones mark the pasted box)", atol=0, rtol=0)
    expect_close(lam_used, timm_lam, what="lam_used", atol=LAM_TOL, rtol=0)


@suite.property("lam_used is the fraction of each image that is still its own, so a box clipped at the border gives the partner's label less weight than 1 - lam")
@given(b=batches(distinct=True, min_n=2), lam=lams)
def lam_used_is_kept_fraction(sol, b, lam):
    n = len(b["perm"])
    b["perm"] = torch.roll(torch.arange(n), 1)
    images, _, lam_used = run_cutmix(sol, b, lam)
    pasted = pasted_mask(b, images)[0, 0]
    kept = 1.0 - pasted.double().mean().item()
    context(pasted_pixels=int(pasted.sum()), image_pixels=pasted.numel())
    expect_close(lam_used, kept, what="lam_used against the fraction of pixels not replaced", atol=LAM_TOL, rtol=0)


@suite.property("cutmix pastes, it does not blend: every output pixel is exactly its own pixel or its partner's, inside one box shared by all images and channels")
@given(b=batches(distinct=True, min_n=2), lam=lams)
def pastes_not_blends(sol, b, lam):
    n = len(b["perm"])
    b["perm"] = torch.roll(torch.arange(n), 1)
    images, _, _ = run_cutmix(sol, b, lam)
    images = torch.as_tensor(images)
    own, partner = b["images"], b["images"][b["perm"]]
    either = (images == own) | (images == partner)
    expect(bool(either.all()), "some output pixels are neither the image's own value nor its partner's (blended?)")
    pasted = images == partner
    expect(bool((pasted == pasted[:1, :1]).all()), "the pasted region differs between images or channels; use one box for the whole batch")
    rows, cols = pasted[0, 0].any(1), pasted[0, 0].any(0)
    expect(bool((pasted[0, 0] == (rows[:, None] & cols[None, :])).all()), "the pasted region is not a rectangle")


@suite.property("one-hot targets stay distributions: every mixed target row sums to 1, for mixup and cutmix")
@given(b=batches(one_hot=True), lam=lams)
def targets_sum_to_one(sol, b, lam):
    _, targets = run_mixup(sol, b, lam)
    expect_close(torch.as_tensor(targets).double().sum(1), torch.ones(len(b["perm"])), what="row sums of mixup targets", atol=ATOL, rtol=0)
    _, targets, _ = run_cutmix(sol, b, lam)
    expect_close(torch.as_tensor(targets).double().sum(1), torch.ones(len(b["perm"])), what="row sums of cutmix targets", atol=ATOL, rtol=0)
