"""Properties of the soft Dice loss and of pairwise mask IoU (challenge seg_losses)."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, expect, expect_close, expect_tensor
from reference.ops.seg_losses import dice_loss as reference_dice
from reference.ops.seg_losses import mask_iou as reference_mask_iou
from grader.suites.strategies import dtypes

suite = Suite("seg_losses")

# Sums over at most a few hundred float32 probabilities: 1e-5 absolute is far above rounding and
# far below any real mistake (a missing sigmoid or a misplaced smooth moves the loss by > 1e-2).
ATOL, RTOL = 1e-5, 1e-4
# IoU is a ratio of small pixel counts; float32 rounding of it is below 1e-6.
IOU_ATOL = 1e-6


@st.composite
def dice_inputs(draw, min_batch=1, max_batch=4):
    """Logits and 0/1 (sometimes soft) targets of the same shape (N, C, H, W) or (N, H, W)."""
    dtype = draw(dtypes)
    batch = draw(st.integers(min_batch, max_batch))
    inner = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    shape = (batch, *inner)
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([0.1, 1.0, 4.0, 12.0]))
    soft = draw(st.booleans())
    gen = torch.Generator().manual_seed(seed)
    logits = (torch.randn(shape, generator=gen, dtype=torch.float64) * scale).to(dtype)
    targets = torch.rand(shape, generator=gen, dtype=torch.float64)
    targets = (targets if soft else (targets < draw(st.floats(0.0, 1.0))).to(torch.float64)).to(dtype)
    return logits, targets


@st.composite
def mask_stack(draw, n=None, height=None, width=None, max_n=4):
    count = n if n is not None else draw(st.integers(0, max_n))
    height = height or draw(st.integers(1, 12))
    width = width or draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**31 - 1))
    density = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    gen = torch.Generator().manual_seed(seed)
    return torch.rand((count, height, width), generator=gen) < density


@st.composite
def mask_pairs(draw, max_n=4):
    height, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    return draw(mask_stack(height=height, width=width, max_n=max_n)), draw(mask_stack(height=height, width=width, max_n=max_n))


@suite.property("dice_loss returns a 0-dim tensor of the logits' dtype; mask_iou returns a float32 (N, M) tensor")
@given(pair=dice_inputs(), masks=mask_pairs())
def output_contract(sol, pair, masks):
    logits, targets = pair
    expect_tensor(sol.dice_loss(logits, targets), what="dice_loss(logits, targets)", dtype=logits.dtype, shape=())
    a, b = masks
    expect_tensor(sol.mask_iou(a, b), what="mask_iou(masks_a, masks_b)", dtype=torch.float32, shape=(len(a), len(b)))


@suite.property("dice_loss: per sample 1 - (2·Σp·t + smooth) / (Σp + Σt + smooth) with p = sigmoid(logits), then the batch mean")
@given(pair=dice_inputs(), smooth=st.sampled_from([1.0, 0.5, 1e-6, 10.0]))
def dice_matches_reference(sol, pair, smooth):
    logits, targets = pair
    out = sol.dice_loss(logits, targets, smooth)
    expect_tensor(out, what="dice_loss", shape=())
    expected = reference_dice(logits.double(), targets.double(), smooth)
    expect_close(out, expected, what=f"dice_loss with smooth={smooth}", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: logits 0 everywhere, targets [[1,1],[0,0]] and all zeros give (0.4 + 2/3) / 2")
@given(dtype=dtypes)
def dice_worked_example(sol, dtype):
    logits = torch.zeros(2, 2, 2, dtype=dtype)
    targets = torch.tensor([[[1.0, 1.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]], dtype=dtype)
    expect_close(sol.dice_loss(logits, targets), (0.4 + 2 / 3) / 2, what="dice_loss", atol=ATOL, rtol=RTOL)
    # Computed independently in numpy (smooth 1) for a batch with confident and unsure logits.
    logits = torch.tensor([[[0.0, 2.0], [-1.0, 3.0]], [[-4.0, -4.0], [-4.0, -4.0]]], dtype=dtype)
    targets = torch.tensor([[[1.0, 1.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]], dtype=dtype)
    expect_close(sol.dice_loss(logits, targets), 0.10440979388252908, what="dice_loss", atol=ATOL, rtol=RTOL)


@suite.property("the loss of a batch is the mean of the losses of its samples taken one at a time (Dice per sample, not over the whole batch)")
@given(pair=dice_inputs(min_batch=2))
def dice_is_mean_of_per_sample_losses(sol, pair):
    logits, targets = pair
    whole = sol.dice_loss(logits, targets)
    singles = torch.stack([torch.as_tensor(sol.dice_loss(logits[i:i + 1], targets[i:i + 1])).double() for i in range(len(logits))])
    expect_close(whole, singles.mean(), what="dice_loss(batch) against the mean of dice_loss(sample)", atol=ATOL, rtol=RTOL)


@suite.property("smooth makes an empty prediction of an empty target a perfect score: very negative logits on all-zero targets give a loss near 0")
@given(dtype=dtypes, batch=st.integers(1, 3), side=st.integers(1, 8))
def dice_empty_prediction_and_target_is_zero(sol, dtype, batch, side):
    logits = torch.full((batch, side, side), -30.0, dtype=dtype)
    targets = torch.zeros(batch, side, side, dtype=dtype)
    expect_close(sol.dice_loss(logits, targets), 0.0, what="dice_loss of an empty prediction of an empty mask", atol=1e-4, rtol=0)


@suite.property("the loss lies in [0, 1] and is never NaN")
@given(pair=dice_inputs(), smooth=st.sampled_from([1.0, 1e-6]))
def dice_between_zero_and_one(sol, pair, smooth):
    value = float(torch.as_tensor(sol.dice_loss(*pair, smooth)).double())
    expect(value == value, "the loss is NaN")
    expect(-1e-6 <= value <= 1 + 1e-6, f"the loss must lie in [0, 1], got {value:.6g}")


@suite.property("the loss is differentiable: its gradient with respect to the logits matches the reference (relative 1e-4 of the largest entry)")
@given(pair=dice_inputs())
def dice_gradient(sol, pair):
    logits, targets = pair
    logits = logits.double().requires_grad_(True)
    targets = targets.double()
    out = sol.dice_loss(logits, targets)
    expect(isinstance(out, torch.Tensor) and out.requires_grad,
           "dice_loss must stay in torch autograd: the result has no gradient (thresholded, detached, or computed in numpy?)")
    (grad,) = torch.autograd.grad(out, logits)
    reference_logits = logits.detach().clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(reference_dice(reference_logits, targets), reference_logits)
    scale = float(expected.abs().max()) if expected.numel() else 0.0
    expect_close(grad, expected, what="d loss / d logits", atol=1e-4 * scale + 1e-9, rtol=0)


@suite.property("mask_iou: entry [i, j] is |a_i ∩ b_j| / |a_i ∪ b_j| counted in pixels")
@given(masks=mask_pairs())
def mask_iou_matches_reference(sol, masks):
    a, b = masks
    out = sol.mask_iou(a, b)
    expect_tensor(out, what="mask_iou", shape=(len(a), len(b)))
    expect_close(out, reference_mask_iou(a, b), what="mask IoU", atol=IOU_ATOL, rtol=0)


@suite.property("worked example and pycocotools values: two 2×2 squares sharing a column have IoU 1/3; an empty mask has IoU 0 with everything")
@given(st.just(None))
def mask_iou_worked_example(sol, _):
    a = torch.tensor([[[1, 1, 0], [1, 1, 0], [0, 0, 0]],
                      [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
                      [[0, 0, 1], [0, 1, 1], [1, 1, 1]]], dtype=torch.bool)
    b = torch.tensor([[[0, 1, 1], [0, 1, 1], [0, 0, 0]],
                      [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
                      [[0, 0, 0], [0, 0, 0], [0, 0, 0]]], dtype=torch.bool)
    # pycocotools.mask.iou on the same masks (iscrowd 0) gives exactly these.
    expected = [[1 / 3, 4 / 9, 0.0], [0.0, 0.0, 0.0], [3 / 7, 2 / 3, 0.0]]
    expect_close(sol.mask_iou(a, b), torch.tensor(expected), what="mask IoU", atol=IOU_ATOL, rtol=0)


@suite.property("empty masks have IoU 0 with everything, including another empty mask — never NaN")
@given(masks=mask_stack(max_n=3))
def mask_iou_empty_masks_give_zero(sol, masks):
    empty = torch.zeros((2, *masks.shape[1:]), dtype=torch.bool)
    out = sol.mask_iou(empty, torch.cat([empty, masks]))
    expect_close(out, torch.zeros(2, 2 + len(masks)), what="IoU of empty masks", atol=0, rtol=0)


@suite.property("is symmetric: mask_iou(a, b) equals mask_iou(b, a) transposed")
@given(masks=mask_pairs())
def mask_iou_symmetric(sol, masks):
    a, b = masks
    expect_close(sol.mask_iou(a, b), sol.mask_iou(b, a).T, what="mask_iou(a, b) against mask_iou(b, a).T", atol=IOU_ATOL, rtol=0)


@suite.property("a non-empty mask has IoU exactly 1 with itself")
@given(masks=mask_stack(max_n=4))
def mask_iou_self_is_one(sol, masks):
    masks = masks.clone()
    masks[:, 0, 0] = True  # make every mask non-empty
    out = sol.mask_iou(masks, masks)
    expect_close(out.diagonal() if out.dim() == 2 else out, torch.ones(len(masks)), what="IoU of each mask with itself", atol=IOU_ATOL, rtol=0)


@suite.property("an empty set of masks on either side gives an empty (N, 0) or (0, M) result")
@given(masks=mask_stack(max_n=4))
def mask_iou_empty_inputs(sol, masks):
    none = masks[:0]
    for first, second in ((masks, none), (none, masks)):
        expect_tensor(sol.mask_iou(first, second), what="mask_iou with an empty side", dtype=torch.float32, shape=(len(first), len(second)))
