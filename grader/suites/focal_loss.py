"""Properties of the sigmoid focal loss (torchvision's definition)."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_raises, expect_tensor
from reference.ops.focal_loss import sigmoid_focal_loss as reference_focal_loss
from grader.suites.strategies import dtypes

suite = Suite("focal_loss")


# Losses reach ~100 at logit ±100; float32 keeps ~7 digits, so 1e-6 + 1e-4·|expected| accepts
# float32 and float64 solutions and still sees a misplaced alpha or a wrong power.
ATOL, RTOL = 1e-6, 1e-4
REDUCTIONS = ("none", "mean", "sum")


@st.composite
def problems(draw, *, min_n=1, max_n=8, logit=20.0, soft=True):
    """(inputs, targets) of one dtype and shape (n,) or (n, c); targets 0/1, sometimes soft."""
    dtype = draw(dtypes)
    shape = draw(st.sampled_from([(draw(st.integers(min_n, max_n)),), (draw(st.integers(min_n, 4)), draw(st.integers(1, 3)))]))
    count = 1
    for s in shape:
        count *= s
    x = draw(st.lists(st.floats(-logit, logit, allow_nan=False, width=32), min_size=count, max_size=count))
    binary = st.sampled_from([0.0, 1.0])
    target = st.one_of(binary, st.floats(0, 1, width=32)) if soft and draw(st.booleans()) else binary
    t = draw(st.lists(target, min_size=count, max_size=count))
    return torch.tensor(x, dtype=dtype).reshape(shape), torch.tensor(t, dtype=dtype).reshape(shape)


alphas = st.one_of(st.sampled_from([0.25, -1.0, 0.5, 0.0, 1.0]), st.floats(0, 1))
gammas = st.one_of(st.sampled_from([2.0, 0.0, 1.0]), st.floats(0, 5))


def expected(x, t, alpha, gamma, reduction="none"):
    return reference_focal_loss(x.double(), t.double(), alpha, gamma, reduction)


@suite.property("reduction='none' returns the inputs' shape, 'mean' and 'sum' a 0-d tensor; dtype follows the inputs")
@given(problem=problems(), reduction=st.sampled_from(REDUCTIONS))
def output_contract(sol, problem, reduction):
    x, t = problem
    out = sol.sigmoid_focal_loss(x, t, 0.25, 2.0, reduction)
    shape = tuple(x.shape) if reduction == "none" else ()
    expect_tensor(out, what=f"sigmoid_focal_loss(..., reduction={reduction!r})", dtype=x.dtype, shape=shape)


@suite.property("equals alpha_t · (1 - p_t)^gamma · BCE elementwise, for any alpha, gamma and reduction")
@given(problem=problems(), alpha=alphas, gamma=gammas, reduction=st.sampled_from(REDUCTIONS))
def matches_reference(sol, problem, alpha, gamma, reduction):
    x, t = problem
    out = sol.sigmoid_focal_loss(x, t, alpha, gamma, reduction)
    expect_tensor(out, what="sigmoid_focal_loss", shape=tuple(x.shape) if reduction == "none" else ())
    expect_close(out, expected(x, t, alpha, gamma, reduction), what="focal loss", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: logits [0, 0], targets [1, 0] give [0.0433217, 0.1299651]")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    x = torch.tensor([0.0, 0.0], dtype=dtype)
    t = torch.tensor([1.0, 0.0], dtype=dtype)
    out = sol.sigmoid_focal_loss(x, t, 0.25, 2.0, "none")
    expect_close(out, torch.tensor([0.04332169878499658, 0.12996509635498973]), what="focal loss", atol=ATOL, rtol=RTOL)
    out = sol.sigmoid_focal_loss(x, t, 0.25, 2.0, "sum")
    expect_close(out, torch.tensor(0.17328679513998632), what="summed focal loss", atol=ATOL, rtol=RTOL)


# (inputs, targets, alpha, gamma, torchvision.ops.sigmoid_focal_loss in float64), computed once
# with torchvision 0.29.1.
LIBRARY_CASES = [
    ([0.0, 0.0, 2.0, -2.0], [1.0, 0.0, 1.0, 1.0], 0.25, 2.0,
     [0.043321698785, 0.129965096355, 0.00045089070881, 0.412519544855]),
    ([3.0, -1.5, 0.5, -4.0], [0.0, 1.0, 0.3, 0.0], 0.4, 1.5,
     [1.70058391038, 0.503107505461, 0.181009245466, 2.62685223245e-05]),
    ([100.0, -100.0, 100.0, -100.0], [0.0, 1.0, 1.0, 0.0], 0.25, 2.0, [75.0, 25.0, 0.0, 0.0]),
    ([1.0, -2.0, 7.0], [1.0, 0.0, 0.0], -1.0, 0.0, [0.313261687518, 0.126928011043, 7.00091146645]),
]


@suite.property("agrees with torchvision.ops.sigmoid_focal_loss on fixed inputs (values recorded from the library)")
@given(case=st.sampled_from(LIBRARY_CASES), dtype=dtypes)
def library_values(sol, case, dtype):
    x, t, alpha, gamma, want = case
    out = sol.sigmoid_focal_loss(torch.tensor(x, dtype=dtype), torch.tensor(t, dtype=dtype), alpha, gamma, "none")
    expect_close(out, torch.tensor(want), what="focal loss against torchvision", atol=ATOL, rtol=RTOL)


@suite.property("with gamma = 0 and alpha = -1 (weighting off) it is exactly binary cross-entropy on the logits")
@given(problem=problems())
def gamma_zero_is_bce(sol, problem):
    x, t = problem
    out = sol.sigmoid_focal_loss(x, t, -1.0, 0.0, "none")
    bce = torch.nn.functional.binary_cross_entropy_with_logits(x.double(), t.double(), reduction="none")
    expect_close(out, bce, what="focal loss with gamma=0, alpha=-1 against BCE", atol=ATOL, rtol=RTOL)


@suite.property("alpha weighs the positives (target 1) and 1 - alpha the negatives (target 0)")
@given(problem=problems(soft=False), alpha=st.floats(0, 1), gamma=gammas)
def alpha_weights_positives(sol, problem, alpha, gamma):
    x, t = problem
    unweighted = expected(x, t, -1.0, gamma)
    weight = torch.where(t.double() == 1, alpha, 1 - alpha)
    out = sol.sigmoid_focal_loss(x, t, alpha, gamma, "none")
    expect_close(out, weight * unweighted, what=f"loss with alpha={alpha:g}: alpha × unweighted loss on positives, (1 - alpha) × on negatives", atol=ATOL, rtol=RTOL)


@suite.property("the focal factor (1 - p_t)^gamma only shrinks the loss: never above the cross-entropy, tiny for confident correct answers")
@given(problem=problems(soft=False), gamma=st.floats(0.5, 5))
def focusing_shrinks_easy_examples(sol, problem, gamma):
    x, t = problem
    out = sol.sigmoid_focal_loss(x, t, -1.0, gamma, "none").double()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(x.double(), t.double(), reduction="none")
    over = out > bce * (1 + RTOL) + ATOL
    expect(not bool(over.any()), f"with alpha=-1 the focal loss must not exceed the cross-entropy; it does at {over.nonzero().flatten().tolist()}: {out.tolist()} against BCE {bce.tolist()}")
    # A confident correct answer: logit +4 for a positive has (1 - p_t)^gamma below 0.018^gamma.
    easy = sol.sigmoid_focal_loss(torch.tensor([4.0], dtype=x.dtype), torch.tensor([1.0], dtype=x.dtype), -1.0, gamma, "none")
    expect_close(easy, expected(torch.tensor([4.0]), torch.tensor([1.0]), -1.0, gamma), what="loss of a confident correct prediction (logit 4, target 1)", atol=ATOL, rtol=RTOL)


@suite.property("stays finite and accurate for logits as large as ±100 (no log of a sigmoid that rounded to 0 or 1)")
@given(problem=problems(logit=100.0, soft=False), alpha=alphas, signs=st.lists(st.sampled_from([-100.0, 100.0]), min_size=1, max_size=4))
def large_logits(sol, problem, alpha, signs):
    x, t = problem
    x = torch.cat([x.flatten(), torch.tensor(signs, dtype=x.dtype).repeat(2)])
    t = torch.cat([t.flatten(), torch.tensor([0.0] * len(signs) + [1.0] * len(signs), dtype=x.dtype)])
    out = sol.sigmoid_focal_loss(x, t, alpha, 2.0, "none")
    expect(bool(torch.isfinite(torch.as_tensor(out)).all()), f"the loss must be finite; got {torch.as_tensor(out).tolist()}")
    expect_close(out, expected(x, t, alpha, 2.0), what="focal loss at large logits", atol=ATOL, rtol=RTOL)


@suite.property("'mean' is the mean and 'sum' the sum of the elementwise ('none') loss over every element")
@given(problem=problems(), alpha=alphas, gamma=gammas)
def reductions_consistent(sol, problem, alpha, gamma):
    x, t = problem
    each = expected(x, t, alpha, gamma, "none")
    expect_close(sol.sigmoid_focal_loss(x, t, alpha, gamma, "sum"), each.sum(), what="reduction='sum'", atol=ATOL, rtol=RTOL)
    expect_close(sol.sigmoid_focal_loss(x, t, alpha, gamma, "mean"), each.mean(), what="reduction='mean'", atol=ATOL, rtol=RTOL)


@suite.property("an unknown reduction raises ValueError")
@given(problem=problems(max_n=3), reduction=st.sampled_from(["avg", "batchmean", "None", "", "elementwise"]))
def unknown_reduction_raises(sol, problem, reduction):
    x, t = problem
    context(reduction=reduction)
    expect_raises(ValueError, sol.sigmoid_focal_loss, x, t, 0.25, 2.0, reduction, what=f"reduction={reduction!r}")
