"""Properties of cross-entropy with label smoothing, shared by every label_smoothing track."""

import math

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from grader.suites.strategies import dtypes

suite = Suite("label_smoothing")

# float32 solutions lose about 1e-7 of the largest logit; scale the absolute part with it.
RTOL = 1e-5


def atol_for(logits):
    return 1e-5 * max(1.0, float(logits.abs().max()) if logits.numel() else 1.0)


epsilons = st.one_of(st.sampled_from([0.0, 0.1, 0.2, 0.5, 1.0]), st.floats(0.0, 1.0))


@st.composite
def problems(draw, *, scale: float = 20.0, min_k: int = 1, integral: bool = False):
    """(logits (N, K), target (N,) int64): logits are integers or floats in [-scale, scale]."""
    n = draw(st.integers(1, 6))
    k = draw(st.integers(min_k, 8))
    value = st.integers(-int(scale), int(scale)).map(float)
    if not integral:
        value = st.one_of(value, st.floats(-scale, scale, allow_nan=False, width=32))
    rows = [[draw(value) for _ in range(k)] for _ in range(n)]
    target = torch.tensor([draw(st.integers(0, k - 1)) for _ in range(n)], dtype=torch.int64)
    return torch.tensor(rows, dtype=draw(dtypes)), target


def oracle(logits, target, epsilon):
    return F.cross_entropy(logits.double(), target, label_smoothing=epsilon)


@suite.property("returns a 0-d tensor (the mean over the batch) with the logits' dtype")
@given(problem=problems(), epsilon=epsilons)
def output_contract(sol, problem, epsilon):
    logits, target = problem
    out = sol.label_smoothing_cross_entropy(logits, target, epsilon)
    expect_tensor(out, what="label_smoothing_cross_entropy(logits, target, epsilon)", dtype=logits.dtype, shape=())


@suite.property("equals F.cross_entropy(logits, target, label_smoothing=epsilon) (within 1e-5 relative)")
@given(problem=problems(), epsilon=epsilons)
def matches_torch_cross_entropy(sol, problem, epsilon):
    logits, target = problem
    out = sol.label_smoothing_cross_entropy(logits, target, epsilon)
    expect_tensor(out, what="the loss", shape=())
    expect_close(out, oracle(logits, target, epsilon), what="loss", atol=atol_for(logits), rtol=RTOL)


@suite.property("worked example from the statement: logits [ln 2, 0, 0], target 0, epsilon 0.3 give 1.2·ln 2 ≈ 0.831777")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    logits = torch.tensor([[math.log(2.0), 0.0, 0.0]], dtype=dtype)
    out = sol.label_smoothing_cross_entropy(logits, torch.tensor([0]), 0.3)
    expect_close(out, 1.2 * math.log(2.0), what="loss", atol=1e-6, rtol=RTOL)


@suite.property("with epsilon = 0 the loss is ordinary cross-entropy: the mean of -log softmax(logits)[target]")
@given(problem=problems())
def epsilon_zero_is_cross_entropy(sol, problem):
    logits, target = problem
    expected = -torch.log_softmax(logits.double(), dim=1).gather(1, target[:, None]).mean()
    expect_close(sol.label_smoothing_cross_entropy(logits, target, 0.0), expected, what="loss with epsilon 0",
                 atol=atol_for(logits), rtol=RTOL)


@suite.property("with epsilon = 1 the target is fully replaced by the uniform distribution, so the loss no longer depends on it")
@given(problem=problems(min_k=2), shift=st.integers(1, 7))
def epsilon_one_ignores_target(sol, problem, shift):
    logits, target = problem
    other = (target + shift) % logits.shape[1]
    context(other_target=other)
    first = sol.label_smoothing_cross_entropy(logits, target, 1.0)
    second = sol.label_smoothing_cross_entropy(logits, other, 1.0)
    expect_close(second, first, what="loss with epsilon 1 after changing every target", atol=atol_for(logits), rtol=RTOL)
    expect_close(first, -torch.log_softmax(logits.double(), dim=1).mean(), what="loss with epsilon 1",
                 atol=atol_for(logits), rtol=RTOL)


@suite.property("stays finite and correct for logits as large as 1e4 in magnitude (exp(1e4) overflows: never exponentiate a raw logit)")
@given(problem=problems(scale=1.0), magnitude=st.sampled_from([1e2, 1e3, 1e4]), epsilon=epsilons)
def stable_for_large_logits(sol, problem, magnitude, epsilon):
    logits, target = problem
    logits = logits * magnitude
    context(logits_scaled_by=magnitude)
    out = sol.label_smoothing_cross_entropy(logits, target, epsilon)
    expect(bool(torch.isfinite(torch.as_tensor(out)).all()), f"the loss must be finite, got {out!r}")
    expect_close(out, oracle(logits, target, epsilon), what="loss", atol=atol_for(logits), rtol=RTOL)


@suite.property("adding the same constant to every logit of a row changes nothing (softmax only sees differences within a row)")
@given(problem=problems(integral=True), epsilon=epsilons, data=st.data())
def row_shift_invariant(sol, problem, epsilon, data):
    logits, target = problem
    shifts = torch.tensor([data.draw(st.integers(-100, 100)) for _ in range(len(logits))], dtype=logits.dtype)
    context(row_shifts=shifts)
    moved = sol.label_smoothing_cross_entropy(logits + shifts[:, None], target, epsilon)
    expect_close(moved, oracle(logits, target, epsilon), what="loss after shifting each row", atol=1e-4, rtol=RTOL)


@suite.property("the loss is a mean over the batch: repeating the batch twice does not change it, and it is the average of one-sample losses")
@given(problem=problems(), epsilon=epsilons)
def batch_mean(sol, problem, epsilon):
    logits, target = problem
    twice = sol.label_smoothing_cross_entropy(torch.cat([logits, logits]), torch.cat([target, target]), epsilon)
    once = oracle(logits, target, epsilon)
    expect_close(twice, once, what="loss of the batch repeated twice", atol=atol_for(logits), rtol=RTOL)
    singles = torch.stack([torch.as_tensor(sol.label_smoothing_cross_entropy(logits[i:i + 1], target[i:i + 1], epsilon)).double()
                           for i in range(len(logits))])
    expect_close(singles.mean(), once, what="average of one-sample losses", atol=atol_for(logits), rtol=RTOL)


@suite.property("the best logits are finite: at logits = log(smoothed target) the loss equals that target's entropy, and moving the logits only raises it")
@given(k=st.integers(2, 8), n=st.integers(1, 4), epsilon=st.floats(0.01, 0.99), dtype=dtypes, data=st.data())
def optimum_is_smoothed_target(sol, k, n, epsilon, dtype, data):
    target = torch.tensor([data.draw(st.integers(0, k - 1)) for _ in range(n)])
    smoothed = torch.full((n, k), epsilon / k, dtype=torch.float64)
    smoothed[torch.arange(n), target] += 1.0 - epsilon
    entropy = -(smoothed * smoothed.log()).sum(1).mean()
    best = sol.label_smoothing_cross_entropy(smoothed.log().to(dtype), target, epsilon)
    expect_close(best, entropy, what="loss at logits = log(smoothed target)", atol=1e-5, rtol=RTOL)
    noise = torch.tensor([[data.draw(st.floats(-2, 2, width=32)) for _ in range(k)] for _ in range(n)], dtype=torch.float64)
    moved = sol.label_smoothing_cross_entropy((smoothed.log() + noise).to(dtype), target, epsilon)
    context(noise=noise)
    expect(float(moved) >= float(entropy) - 1e-5,
           f"moving the logits away from log(smoothed target) lowered the loss from {float(entropy):.6g} to {float(moved):.6g}")


# Computed in float64 with timm's LabelSmoothingCrossEntropy(smoothing=epsilon) (timm 1.x), which uses
# the same convention (epsilon spread over all K classes); F.cross_entropy agreed to the last digit.
TIMM_LOGITS = [[2.0, -1.0, 0.5, 3.0], [0.0, 0.0, 0.0, 0.0], [-4.0, 7.5, 1.25, -0.5]]
TIMM_TARGET = [3, 1, 0]
TIMM_VALUES = {0.1: 4.317969840998411, 0.25: 4.158594840998411}


@suite.property("agrees with timm's LabelSmoothingCrossEntropy on a fixed batch (epsilon 0.1 and 0.25)")
@given(epsilon=st.sampled_from(sorted(TIMM_VALUES)), dtype=dtypes)
def matches_timm(sol, epsilon, dtype):
    out = sol.label_smoothing_cross_entropy(torch.tensor(TIMM_LOGITS, dtype=dtype), torch.tensor(TIMM_TARGET), epsilon)
    expect_close(out, TIMM_VALUES[epsilon], what="loss", atol=1e-5, rtol=RTOL)
