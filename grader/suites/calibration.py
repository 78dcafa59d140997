"""Properties of the expected calibration error, shared by every calibration track."""

import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from reference.ops.calibration import expected_calibration_error as reference_ece
from grader.suites.strategies import dtypes

suite = Suite("calibration")

# ECE is a weighted mean of values in [0, 1]: float32 solutions are within a few 1e-7, so 1e-5
# absolute accepts them and still catches any misplaced sample (which moves ECE by at least ~1e-3).
ATOL = 1e-5

# Fixed values from torchmetrics 1.9.0 (torch 2.14.1): multiclass_calibration_error(probs, labels,
# num_classes=3, n_bins=n, norm="l1") on these inputs, none of whose confidences is 1.0. Our
# reference agreed within 3e-8 (torchmetrics accumulates in float32). The suite never imports it.
TM_PROBS = [[0.717, 0.0189, 0.2641], [0.1014, 0.3768, 0.5218], [0.4286, 0.2637, 0.3077], [0.3673, 0.3469, 0.2858],
            [0.22, 0.57, 0.21], [0.5146, 0.2524, 0.233], [0.3396, 0.2642, 0.3962], [0.3846, 0.1538, 0.4616],
            [0.0145, 0.2754, 0.7101], [0.377, 0.2295, 0.3935], [0.2031, 0.6562, 0.1407], [0.3718, 0.5897, 0.0385]]
TM_LABELS = [0, 2, 2, 2, 1, 2, 0, 2, 2, 1, 1, 2]
TM_ECE = {15: 0.19829998910427094, 10: 0.19830000400543213, 4: 0.14731669425964355, 1: 0.027216672897338867}
# torchmetrics gives a confidence of exactly 1.0 a bin of its own; this contract puts it in the last
# bin. For probs [[1, 0], [0.6, 0.4]], labels [1, 0], n_bins 2, torchmetrics says 0.7, we say 0.3.


@st.composite
def predictions(draw, *, n_bins=None):
    """(probs (N, K), labels (N,), n_bins) with no confidence within 1e-4 of a bin edge, so float32
    and float64 solutions bin every sample the same way."""
    n, k = draw(st.integers(1, 16), label="N"), draw(st.integers(2, 5), label="K")
    n_bins = draw(st.sampled_from([1, 2, 4, 5, 10, 15]), label="n_bins") if n_bins is None else n_bins
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1), label="seed"))
    sharpness = draw(st.sampled_from([0.5, 2.0, 6.0]), label="logit scale")
    probs = torch.softmax(torch.randn(n, k, generator=generator, dtype=torch.float64) * sharpness, dim=1)
    probs = probs.to(draw(dtypes))
    edge = probs.double().max(dim=1).values * n_bins
    assume(bool(((edge - edge.round()).abs() > 1e-4).all()))
    labels = torch.randint(0, k, (n,), generator=generator)
    return probs, labels, n_bins


def ece_of(sol, probs, labels, n_bins):
    out = sol.expected_calibration_error(probs, labels, n_bins)
    expect_tensor(out, what="expected_calibration_error", shape=())
    return out


@suite.property("returns a 0-d tensor with the probabilities' dtype")
@given(data=predictions())
def output_contract(sol, data):
    probs, labels, n_bins = data
    out = sol.expected_calibration_error(probs, labels, n_bins)
    expect_tensor(out, what="expected_calibration_error", dtype=probs.dtype, shape=())


@suite.property(f"equals Σ |accuracy - mean confidence| · count / N over equal-width bins, the reference (within {ATOL:g})")
@given(data=predictions())
def matches_reference(sol, data):
    probs, labels, n_bins = data
    expect_close(ece_of(sol, probs, labels, n_bins), reference_ece(probs.double(), labels, n_bins), what="ECE", atol=ATOL, rtol=0)


@suite.property("worked example from the statement: five predictions with n_bins 4 give ECE 0.3")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    probs = torch.tensor([[0.75, 0.25], [0.625, 0.375], [0.5, 0.5], [0.125, 0.875], [1.0, 0.0]], dtype=dtype)
    labels = torch.tensor([0, 1, 1, 1, 0])
    expect_close(ece_of(sol, probs, labels, 4), 0.3, what="ECE", atol=ATOL, rtol=0)


@suite.property("matches torchmetrics' multiclass_calibration_error (norm l1) on fixed inputs without a confidence of 1.0, for 15, 10, 4 and 1 bins")
@given(n_bins=st.sampled_from(sorted(TM_ECE)), dtype=dtypes)
def matches_torchmetrics(sol, n_bins, dtype):
    out = ece_of(sol, torch.tensor(TM_PROBS, dtype=dtype), torch.tensor(TM_LABELS), n_bins)
    expect_close(out, TM_ECE[n_bins], what=f"ECE with {n_bins} bins against torchmetrics 1.9.0", atol=ATOL, rtol=0)


@suite.property("bins are left-closed: a confidence of exactly 0.5 with 4 bins belongs to [0.5, 0.75), not [0.25, 0.5)")
@given(dtype=dtypes, edge=st.sampled_from([0.25, 0.5, 0.75]))
def bins_left_closed(sol, dtype, edge):
    context(edge=edge)
    # One wrong prediction exactly on the edge, one right prediction an eighth below it (eight
    # classes, so either can be the maximum; ties go to class 0). Left-closed bins separate them.
    below = edge - 0.125
    probs = torch.tensor([[edge] + [(1 - edge) / 7] * 7, [below] + [(1 - below) / 7] * 7], dtype=dtype)
    labels = torch.tensor([1, 0])
    want = reference_ece(probs.double(), labels, 4)
    out = ece_of(sol, probs, labels, 4)
    expect_close(out, want, what=f"ECE with a confidence exactly on the edge {edge} (4 bins)", atol=ATOL, rtol=0)


@suite.property("a confidence of exactly 1.0 joins the last bin (not a bin of its own): [[1, 0], [0.625, 0.375]] with labels [1, 0] and 2 bins give 0.3125")
@given(dtype=dtypes)
def one_in_last_bin(sol, dtype):
    probs = torch.tensor([[1.0, 0.0], [0.625, 0.375]], dtype=dtype)
    expect_close(ece_of(sol, probs, torch.tensor([1, 0]), 2), 0.3125, what="ECE", atol=ATOL, rtol=0)


@suite.property("the predicted class is the first of equal maxima: [0.4, 0.4, 0.2] predicts class 0")
@given(dtype=dtypes, label=st.sampled_from([0, 1]))
def ties_pick_first_class(sol, dtype, label):
    probs = torch.tensor([[0.375, 0.375, 0.25]], dtype=dtype)
    want = 0.625 if label == 0 else 0.375
    expect_close(ece_of(sol, probs, torch.tensor([label]), 15), want,
                 what=f"ECE of [0.375, 0.375, 0.25] with label {label}", atol=ATOL, rtol=0)


@suite.property("with one bin, ECE is |overall accuracy - mean confidence|")
@given(data=predictions(n_bins=1))
def one_bin_is_global_gap(sol, data):
    probs, labels, _ = data
    confidence, prediction = probs.double().max(dim=1)
    want = ((prediction == labels).double().mean() - confidence.mean()).abs()
    expect_close(ece_of(sol, probs, labels, 1), want, what="ECE with n_bins = 1", atol=ATOL, rtol=0)


@suite.property("a perfectly calibrated bin contributes nothing: three of four right at confidence 0.75 gives ECE 0")
@given(dtype=dtypes, n_bins=st.sampled_from([1, 2, 4, 8, 15]), wrong=st.integers(0, 3))
def calibrated_is_zero(sol, dtype, n_bins, wrong):
    probs = torch.tensor([[0.75, 0.25]] * 4, dtype=dtype)
    labels = torch.zeros(4, dtype=torch.long)
    labels[wrong] = 1
    context(wrong_sample=wrong)
    expect_close(ece_of(sol, probs, labels, n_bins), 0.0, what="ECE of a calibrated set", atol=ATOL, rtol=0)


@suite.property("the order of the samples does not matter, and ECE lies in [0, 1]")
@given(data=predictions(), seed=st.integers(0, 1000))
def permutation_invariant(sol, data, seed):
    probs, labels, n_bins = data
    order = torch.randperm(len(probs), generator=torch.Generator().manual_seed(seed))
    context(permutation=order)
    first = ece_of(sol, probs, labels, n_bins)
    expect(0.0 <= float(first) <= 1.0 + 1e-6, f"ECE must lie in [0, 1], got {float(first)}")
    expect_close(ece_of(sol, probs[order], labels[order], n_bins), first, what="ECE after permuting the samples", atol=ATOL, rtol=0)
