"""Properties of convolution arithmetic (output size, multiply-accumulates, receptive field), shared by every conv_cost track."""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from grader.suite import Suite, context, expect, expect_equal, expect_raises
from reference.ops.conv_cost import receptive_field as reference_rf

suite = Suite("conv_cost")


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


@st.composite
def axis_settings(draw):
    """(size, kernel, stride, padding, dilation) for which the dilated kernel fits in the padded input."""
    kernel = draw(st.integers(1, 7))
    dilation = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 3))
    span = dilation * (kernel - 1) + 1
    size = draw(st.integers(max(1, span - 2 * padding), 64))
    return size, kernel, draw(st.integers(1, 4)), padding, dilation


@st.composite
def conv_layers(draw):
    """(in_channels, out_channels, kernel, out_size, groups) with groups dividing both channel counts."""
    groups = draw(st.integers(1, 4))
    in_channels = groups * draw(st.integers(1, 6))
    out_channels = groups * draw(st.integers(1, 6))
    side = st.integers(1, 9)
    kernel = draw(st.one_of(side, st.tuples(side, side)))
    size = st.integers(1, 40)
    out_size = draw(st.one_of(size, st.tuples(size, size)))
    return in_channels, out_channels, kernel, out_size, groups


layer_stacks = st.lists(st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=5)


def pair(v):
    return (v, v) if isinstance(v, int) else v


@suite.property("conv_output_size and conv_macs return Python ints; receptive_field returns a list of (field, jump) int pairs, one per layer")
@given(axis=axis_settings(), layer=conv_layers(), stack=st.lists(st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(1, 3)), max_size=5))
def output_contract(sol, axis, layer, stack):
    size = sol.conv_output_size(*axis)
    expect(is_int(size), f"conv_output_size should return an int, got {type(size).__name__}: {size!r} (use // for the floor)")
    macs = sol.conv_macs(*layer)
    expect(is_int(macs), f"conv_macs should return an int, got {type(macs).__name__}: {macs!r}")
    fields = sol.receptive_field(stack)
    expect(isinstance(fields, (list, tuple)) and len(fields) == len(stack),
           f"receptive_field should return a list with one entry per layer ({len(stack)}), got {fields!r}")
    for entry in fields:
        expect(isinstance(entry, (list, tuple)) and len(entry) == 2 and all(is_int(v) for v in entry),
               f"each entry of receptive_field should be a (field, jump) pair of ints, got {entry!r}")


@suite.property("conv_output_size equals the output size F.conv2d produces along that axis, dilation and padding included")
@given(axis=axis_settings())
def output_size_matches_conv2d(sol, axis):
    size, kernel, stride, padding, dilation = axis
    x = torch.empty(1, 1, size, 1, device="meta")
    w = torch.empty(1, 1, kernel, 1, device="meta")
    expected = F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1)).shape[2]
    expect_equal(sol.conv_output_size(size, kernel, stride, padding, dilation), expected, what="output size")


@suite.property("worked examples from the statement: ResNet's 7×7 stem with stride 2 and padding 3 maps 224 to 112; a 3×3 kernel with dilation 2 maps 10 to 6")
@given(st.just(None))
def output_size_worked_example(sol, _):
    expect_equal(sol.conv_output_size(224, 7, stride=2, padding=3), 112, what="conv_output_size(224, 7, stride=2, padding=3)")
    expect_equal(sol.conv_output_size(10, 3, dilation=2), 6, what="conv_output_size(10, 3, dilation=2)")
    expect_equal(sol.conv_output_size(5, 3, stride=2), 2, what="conv_output_size(5, 3, stride=2)")


@suite.property("conv_output_size raises ValueError when the dilated kernel is wider than the padded input")
@given(kernel=st.integers(2, 7), dilation=st.integers(1, 3), padding=st.integers(0, 3), stride=st.integers(1, 3), short=st.integers(1, 5))
def output_size_rejects_oversized_kernel(sol, kernel, dilation, padding, stride, short):
    span = dilation * (kernel - 1) + 1
    size = span - 2 * padding - short
    if size < 1:
        size, padding = span - short, 0
    if size < 1:
        size, kernel, dilation = 1, 2, 1
    expect_raises(ValueError, sol.conv_output_size, size, kernel, stride, padding, dilation,
                  what=f"conv_output_size({size}, {kernel}, {stride}, {padding}, {dilation})")


@suite.property("conv_macs is half of what torch's FlopCounterMode reports for F.conv2d (it counts a multiply and an add as two FLOPs; the bias is not counted)")
@given(layer=conv_layers())
def macs_match_flop_counter(sol, layer):
    cin, cout, kernel, out_size, groups = layer
    (kh, kw), (oh, ow) = pair(kernel), pair(out_size)
    x = torch.empty(1, cin, oh + kh - 1, ow + kw - 1, device="meta")
    w = torch.empty(cout, cin // groups, kh, kw, device="meta")
    with FlopCounterMode(display=False) as counter:
        F.conv2d(x, w, groups=groups)
    flops = counter.get_total_flops()
    context(flop_counter_flops=flops)
    expect_equal(sol.conv_macs(cin, cout, kernel, out_size, groups), flops // 2, what="multiply-accumulates")


@suite.property("worked examples from the statement: a 3×3 conv 64→64 on a 56×56 map is 115,605,504 MACs; its depthwise version 1,806,336; a 1×1 conv 12,845,056")
@given(st.just(None))
def macs_worked_example(sol, _):
    expect_equal(sol.conv_macs(64, 64, 3, 56), 115_605_504, what="conv_macs(64, 64, 3, 56)")
    expect_equal(sol.conv_macs(64, 64, 3, 56, groups=64), 1_806_336, what="conv_macs(64, 64, 3, 56, groups=64)")
    expect_equal(sol.conv_macs(64, 64, 1, 56), 12_845_056, what="conv_macs(64, 64, 1, 56)")
    expect_equal(sol.conv_macs(3, 8, (3, 5), (4, 2)), 4 * 2 * 8 * 3 * 15, what="conv_macs(3, 8, (3, 5), (4, 2))")


@suite.property("splitting the channels into g groups divides the cost by g: each output sees only in_channels / g input channels")
@given(layer=conv_layers(), g=st.integers(2, 4))
def groups_divide_cost(sol, layer, g):
    cin, cout, kernel, out_size, _ = layer
    cin, cout = cin * g, cout * g
    full = sol.conv_macs(cin, cout, kernel, out_size, 1)
    grouped = sol.conv_macs(cin, cout, kernel, out_size, g)
    expect(grouped * g == full, f"with groups={g} the cost should be {full} / {g} = {full / g:g}, got {grouped}")


@suite.property("a depthwise 3×3 (or k×k) plus a 1×1 pointwise conv costs 1/C_out + 1/k² of the standard conv: MobileNet's saving")
@given(channels=st.integers(1, 64), cout=st.integers(1, 64), k=st.integers(1, 7), size=st.integers(1, 32))
def depthwise_separable_ratio(sol, channels, cout, k, size):
    standard = sol.conv_macs(channels, cout, k, size)
    depthwise = sol.conv_macs(channels, channels, k, size, groups=channels)
    pointwise = sol.conv_macs(channels, cout, 1, size)
    context(standard=standard, depthwise=depthwise, pointwise=pointwise)
    expect((depthwise + pointwise) * cout * k * k == standard * (k * k + cout),
           f"(depthwise + pointwise) / standard should be 1/{cout} + 1/{k * k} = {1 / cout + 1 / k**2:.6g}, "
           f"got ({depthwise} + {pointwise}) / {standard} = {(depthwise + pointwise) / standard:.6g}")


@suite.property("conv_macs raises ValueError when groups does not divide both channel counts")
@given(groups=st.integers(2, 6), base=st.integers(1, 5), off=st.integers(1, 5), which=st.booleans())
def macs_rejects_bad_groups(sol, groups, base, off, which):
    bad = groups * base + (off % groups or 1)
    good = groups * base
    cin, cout = (bad, good) if which else (good, bad)
    expect_raises(ValueError, sol.conv_macs, cin, cout, 3, 8, groups, what=f"conv_macs({cin}, {cout}, 3, 8, groups={groups})")


def measured_field(stack):
    """Receptive field and jump of the last layer, read off the gradient of a 1-D stack of all-ones convolutions."""
    total = 1
    for _, stride, _ in stack:
        total *= stride
    length = 1 + sum(d * (k - 1) for k, _, d in stack) * total + 2 * total
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    y = x
    for kernel, stride, dilation in stack:
        y = F.conv1d(y, torch.ones(1, 1, kernel, dtype=torch.float64), stride=stride, dilation=dilation)
    touched = []
    for position in (0, 1):
        (grad,) = torch.autograd.grad(y[0, 0, position], x, retain_graph=True)
        hit = grad[0, 0].nonzero().flatten()
        touched.append((int(hit[0]), int(hit[-1])))
    return touched[0][1] - touched[0][0] + 1, touched[1][0] - touched[0][0]


@suite.property("receptive_field matches what a stack of convolutions really sees: the span of input pixels that one output's gradient reaches, and the input distance between neighbouring outputs")
@given(stack=layer_stacks)
def receptive_field_matches_gradient(sol, stack):
    field, jump = measured_field(stack)
    context(measured_by_gradient=f"field {field}, jump {jump}")
    got = sol.receptive_field(stack)
    expect(len(got) == len(stack), f"expected one (field, jump) pair per layer, got {got!r}")
    expect_equal(tuple(got[-1]), (field, jump), what="(receptive field, jump) after the last layer")
    for i in range(len(stack)):
        expect_equal(tuple(got[i]), tuple(reference_rf(stack[: i + 1])[-1]), what=f"(receptive field, jump) after layer {i}")


@suite.property("worked examples from the statement: three 3×3 stride-1 layers see 3, 5, 7 pixels; a stride-2 3×3 layer doubles what each later layer adds")
@given(st.just(None))
def receptive_field_worked_example(sol, _):
    expect_equal([tuple(v) for v in sol.receptive_field([(3, 1, 1)] * 3)], [(3, 1), (5, 1), (7, 1)],
                 what="receptive_field([(3, 1, 1)] * 3)")
    expect_equal([tuple(v) for v in sol.receptive_field([(3, 2, 1), (3, 1, 1), (1, 1, 1)])], [(3, 2), (7, 2), (7, 2)],
                 what="receptive_field([(3, 2, 1), (3, 1, 1), (1, 1, 1)])")
    expect_equal(list(sol.receptive_field([])), [], what="receptive_field([])")


@suite.property("a 1×1 stride-1 layer mixes channels but does not widen the receptive field, wherever it sits in the stack")
@given(stack=layer_stacks, where=st.integers(0, 5), count=st.integers(1, 3))
def one_by_one_keeps_field(sol, stack, where, count):
    where = min(where, len(stack))
    widened = stack[:where] + [(1, 1, 1)] * count + stack[where:]
    context(inserted=f"{count} × (1, 1, 1) before layer {where}")
    before = [tuple(v) for v in sol.receptive_field(stack)]
    after = [tuple(v) for v in sol.receptive_field(widened)]
    expect_equal(after[-1], before[-1], what="(receptive field, jump) of the stack with 1×1 layers inserted")
    if where > 0:
        expect_equal(after[where - 1 + count], after[where - 1], what="(field, jump) right after the inserted 1×1 layers")
