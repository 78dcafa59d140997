"""Properties of symmetric per-channel int8 quantization and the int8 linear layer, shared by every
quantize track."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_equal, expect_tensor
from reference.ops.quantize import int8_linear as reference_int8_linear
from reference.ops.quantize import quantize_per_channel as reference_quantize
from grader.suites.strategies import dtypes

suite = Suite("quantize")

# A value w / scale within TIE of a half-integer may round either way depending on whether the
# solution divides in float32 or float64 (or multiplies by 1 / scale, as torch's fake quantizer
# does): there, and only there, q may differ from the reference by one step.
TIE = 1e-3
# Rescaled outputs are products of exact integers and float32 scales: 1e-6 relative covers the
# float32 rounding of scale products and nothing else.
RTOL = 1e-6


@st.composite
def weights(draw, *, min_dims=1, max_dims=3, zero_channels=True):
    """(weight, axis): a small tensor, float32 or float64, some channels all zero, with magnitudes
    spanning 1e-3 to 1e3 so a shared per-tensor scale would visibly fail."""
    dims = draw(st.integers(min_dims, max_dims))
    shape = [draw(st.integers(1, 4)) for _ in range(dims)]
    axis = draw(st.integers(-dims, dims - 1))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1), label="seed"))
    w = torch.randn(*shape, generator=generator, dtype=torch.float64)
    channels = shape[axis]
    magnitude = 10.0 ** torch.randint(-3, 4, (channels,), generator=generator).double()
    if zero_channels and draw(st.booleans(), label="zero a channel"):
        magnitude[draw(st.integers(0, channels - 1))] = 0.0
    view = [1] * dims
    view[axis] = -1
    w = w * magnitude.reshape(view)
    return w.to(draw(dtypes)), axis


def broadcast(scale, weight, axis):
    view = [1] * weight.dim()
    view[axis] = -1
    return scale.reshape(view)


def quantized(sol, weight, axis):
    out = sol.quantize_per_channel(weight, axis)
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"quantize_per_channel should return a pair (q, scale), got {type(out).__name__}")
    return out


def expect_q_matches(q, weight, axis, what):
    """q equals the reference, except by one step where w / scale is within TIE of a tie."""
    ref_q, ref_scale = reference_quantize(weight, axis)
    ratio = weight.double() / broadcast(ref_scale.double(), weight, axis)
    near_tie = ((ratio.abs() - ratio.abs().floor()) - 0.5).abs() < TIE
    diff = (q.to(torch.int64) - ref_q.to(torch.int64)).abs()
    bad = (diff > 1) | ((diff == 1) & ~near_tie)
    if bool(bad.any()):
        at = tuple(bad.nonzero()[0].tolist())
        expect(False, f"{what}: at {list(at)} expected {ref_q[at].item()} (w = {weight[at].item():.9g}, "
                      f"w / scale = {ratio[at].item():.9g}), got {q[at].item()}; one step of slack is allowed only "
                      f"within {TIE:g} of a .5 tie")


@suite.property("quantize_per_channel returns (q, scale): q int8 with the weight's shape, scale float32 of shape (weight.shape[axis],)")
@given(wa=weights())
def quantize_output_contract(sol, wa):
    weight, axis = wa
    q, scale = quantized(sol, weight, axis)
    expect_tensor(q, what="q", dtype=torch.int8, shape=tuple(weight.shape))
    expect_tensor(scale, what="scale", dtype=torch.float32, shape=(weight.shape[axis],))


@suite.property("dequantize returns float32 q * scale with q's shape; int8_linear returns a float32 (N, out) tensor")
@given(wa=weights(), n=st.integers(1, 3))
def other_output_contracts(sol, wa, n):
    weight, axis = wa
    q, scale = reference_quantize(weight, axis)
    out = sol.dequantize(q, scale, axis)
    expect_tensor(out, what="dequantize(q, scale, axis)", dtype=torch.float32, shape=tuple(weight.shape))
    expect_close(out, q.double() * broadcast(scale.double(), q, axis), what="dequantize", atol=0, rtol=RTOL)
    matrix = weight.reshape(weight.shape[0], -1)
    q, scale = reference_quantize(matrix, 0)
    x = torch.ones(n, matrix.shape[1], dtype=weight.dtype)
    y = sol.int8_linear(x, q, scale, 0.0625)
    expect_tensor(y, what="int8_linear(x, q_weight, w_scale, x_scale)", dtype=torch.float32, shape=(n, matrix.shape[0]))


@suite.property("scale is max|w| / 127 per channel (one scale per slice along axis), in float32")
@given(wa=weights())
def scale_is_channel_max_over_127(sol, wa):
    weight, axis = wa
    _, scale = quantized(sol, weight, axis)
    _, expected = reference_quantize(weight, axis)
    expect_close(scale, expected, what="scale (tolerance 1e-6 relative)", atol=0, rtol=RTOL)


@suite.property("q is clamp(round_half_even(w / scale), -127, 127), the same as the reference")
@given(wa=weights())
def matches_reference(sol, wa):
    weight, axis = wa
    q, _ = quantized(sol, weight, axis)
    expect_tensor(q, what="q", shape=tuple(weight.shape))
    expect_q_matches(q, weight, axis, "q")


@suite.property("dequantize(quantize(w)) equals torch.fake_quantize_per_channel_affine with zero point 0 and range [-127, 127]")
@given(wa=weights())
def matches_torch_fake_quantize(sol, wa):
    weight, axis = wa
    q, scale = quantized(sol, weight, axis)
    restored = sol.dequantize(q, scale, axis)
    axis = axis % weight.dim()
    _, ref_scale = reference_quantize(weight, axis)
    zero = torch.zeros(weight.shape[axis], dtype=torch.int32)
    oracle = torch.fake_quantize_per_channel_affine(weight.float(), ref_scale, zero, axis, -127, 127)
    step = broadcast(ref_scale.double(), weight, axis)
    ratio = weight.double() / step
    near_tie = ((ratio.abs() - ratio.abs().floor()) - 0.5).abs() < TIE
    slack = torch.where(near_tie, step * (1 + RTOL), step * RTOL)
    bad = (restored.double() - oracle.double()).abs() > slack
    if bool(bad.any()):
        at = tuple(bad.nonzero()[0].tolist())
        expect(False, f"dequantize(quantize_per_channel(w)) at {list(at)}: torch.fake_quantize_per_channel_affine gives "
                      f"{oracle[at].item():.9g}, got {restored[at].item():.9g} (w = {weight[at].item():.9g}); "
                      f"tolerance 1e-6 of a step, one step within {TIE:g} of a .5 tie")


@suite.property("worked example from the statement: three channels give scales [1/64, 1, 1/128] and q [[127, 32, -2], [0, 0, 0], [-127, 2, 32]]")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    weight = torch.tensor([[1.984375, 0.5, -0.0390625], [0.0, 0.0, 0.0], [-0.9921875, 0.01171875, 0.25]], dtype=dtype)
    q, scale = quantized(sol, weight, 0)
    expect_equal(q, torch.tensor([[127, 32, -2], [0, 0, 0], [-127, 2, 32]], dtype=torch.int8), what="q")
    expect_equal(scale, torch.tensor([1 / 64, 1.0, 1 / 128]), what="scale")


@suite.property("exact halves round to the even neighbour, like torch.round: 2.5 steps -> 2, 3.5 -> 4, -0.5 -> 0, -1.5 -> -2")
@given(dtype=dtypes, power=st.integers(-8, 4), sign=st.sampled_from([1.0, -1.0]))
def rounds_half_to_even(sol, dtype, power, sign):
    step = 2.0**power
    context(step=step)
    steps = torch.tensor([127.0, 2.5, 3.5, -0.5, -1.5, 0.5, 126.5]) * sign
    q, _ = quantized(sol, (steps * step).to(dtype)[None, :], 0)
    expect_equal(q[0], (torch.tensor([127, 2, 4, 0, -2, 0, 126]) * int(sign)).to(torch.int8),
                 what="q of w = [127, 2.5, 3.5, -0.5, -1.5, 0.5, 126.5]·sign·step")


@suite.property("a channel of zeros gets scale 1.0 and q 0 (never a 0 / 0 NaN); other channels are unaffected")
@given(wa=weights(min_dims=2, zero_channels=False), channel=st.integers(0, 3))
def zero_channel_scale_one(sol, wa, channel):
    weight, axis = wa
    channel = channel % weight.shape[axis]
    weight = weight.clone()
    weight.select(axis, channel).zero_()
    context(zeroed_channel=channel)
    q, scale = quantized(sol, weight, axis)
    expect(bool(torch.isfinite(scale.double()).all()), f"scale must be finite, got {scale.tolist()}")
    expect_equal(scale[channel].item(), 1.0, what=f"scale of the all-zero channel {channel}")
    expect_equal(q.select(axis % weight.dim(), channel), torch.zeros_like(q.select(axis % weight.dim(), channel)),
                 what=f"q of the all-zero channel {channel}")
    expect_q_matches(q, weight, axis, "q")


@suite.property("the largest |w| of every non-zero channel maps to ±127, keeping its sign: the int8 range is fully used")
@given(wa=weights())
def channel_max_maps_to_127(sol, wa):
    weight, axis = wa
    q, _ = quantized(sol, weight, axis)
    moved_w = weight.movedim(axis, 0).reshape(weight.shape[axis], -1)
    moved_q = q.movedim(axis, 0).reshape(weight.shape[axis], -1).to(torch.int64)
    for c in range(moved_w.shape[0]):
        if bool((moved_w[c] != 0).any()):
            i = int(moved_w[c].abs().argmax())
            want = 127 if moved_w[c, i] > 0 else -127
            expect_equal(int(moved_q[c, i]), want, what=f"q of the largest |w| in channel {c} (w = {moved_w[c, i].item():.6g})")


@suite.property("round trip: |dequantize(quantize(w)) - w| is at most half a step (scale / 2) everywhere")
@given(wa=weights())
def round_trip_error_half_step(sol, wa):
    weight, axis = wa
    q, scale = quantized(sol, weight, axis)
    restored = sol.dequantize(q, scale, axis)
    _, ref_scale = reference_quantize(weight, axis)
    bound = broadcast(ref_scale.double(), weight, axis) * (0.5 + 1e-5)
    error = (restored.double() - weight.double()).abs()
    bad = error > bound
    if bool(bad.any()):
        at = tuple(bad.nonzero()[0].tolist())
        expect(False, f"at {list(at)}: w = {weight[at].item():.9g} came back as {restored[at].item():.9g}, an error of "
                      f"{error[at].item():.6g} > scale / 2 = {bound[at].item() / (1 + 2e-5):.6g}")


@suite.property("the axis argument picks the channel dimension: quantizing along axis equals quantizing the tensor with that dim moved first")
@given(wa=weights(min_dims=2))
def axis_is_respected(sol, wa):
    weight, axis = wa
    q, scale = quantized(sol, weight, axis)
    q0, scale0 = quantized(sol, weight.movedim(axis, 0).contiguous(), 0)
    expect_equal(scale, scale0, what=f"scale along axis {axis} against scale of the weight with dim {axis} moved first")
    expect_equal(q, q0.movedim(0, axis), what=f"q along axis {axis} against q of the weight with dim {axis} moved first")


@st.composite
def linear_inputs(draw, *, clip=False):
    """(x, weight, x_scale) with x_scale a power of two and x / x_scale at least 0.1 from any .5 tie,
    so every correct solution quantizes x identically."""
    n, k, out = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 4))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1), label="seed"))
    x_scale = 2.0 ** draw(st.integers(-8, 2), label="log2 x_scale")
    limit = 200 if clip else 127
    steps = torch.randint(-limit, limit + 1, (n, k), generator=generator).double()
    steps += (torch.rand(n, k, generator=generator, dtype=torch.float64) - 0.5) * 0.8
    dtype = draw(dtypes)
    x = (steps.float().double() * x_scale).to(dtype)
    weight = torch.randn(out, k, generator=generator, dtype=torch.float64).to(dtype)
    return x, weight, x_scale


@suite.property("int8_linear equals the reference: round x / x_scale, clamp to ±127, int32 sum of products, one rescale by x_scale·w_scale[o]")
@given(inputs=linear_inputs(clip=True))
def int8_linear_matches_reference(sol, inputs):
    x, weight, x_scale = inputs
    q, w_scale = reference_quantize(weight, 0)
    y = sol.int8_linear(x, q, w_scale, x_scale)
    expected = reference_int8_linear(x, q, w_scale, x_scale)
    expect_close(y, expected, what="int8_linear (tolerance 1e-6 relative)", atol=1e-30, rtol=RTOL)


@suite.property("worked example from the statement: x = [[1, -0.5, 0.25]], x_scale = 1/64 gives [[1.7265625, 0, -0.9375]]")
@given(dtype=dtypes)
def int8_linear_worked_example(sol, dtype):
    q = torch.tensor([[127, 32, -2], [0, 0, 0], [-127, 2, 32]], dtype=torch.int8)
    w_scale = torch.tensor([1 / 64, 1.0, 1 / 128])
    y = sol.int8_linear(torch.tensor([[1.0, -0.5, 0.25]], dtype=dtype), q, w_scale, 1 / 64)
    expect_close(y, torch.tensor([[1.7265625, 0.0, -0.9375]]), what="int8_linear", atol=1e-7, rtol=RTOL)


@suite.property("sums are accumulated in int32: 64 products of 127·127 (1 032 256) neither wrap around nor lose digits")
@given(sign=st.sampled_from([1, -1]), k=st.sampled_from([8, 64]))
def accumulates_in_int32(sol, sign, k):
    q = torch.full((2, k), 127, dtype=torch.int8)
    q[1] *= -1
    w_scale = torch.tensor([1.0, 0.5])
    x = torch.full((1, k), 127.0 * sign)
    y = sol.int8_linear(x, q, w_scale, 1.0)
    want = torch.tensor([[127 * 127 * k * sign, -127 * 127 * k * sign * 0.5]])
    expect_close(y, want, what=f"int8_linear with all-127 inputs over {k} features", atol=0, rtol=RTOL)


@suite.property("values of x beyond ±127·x_scale saturate at ±127 (the calibrated range clips), they do not wrap")
@given(dtype=dtypes, factor=st.sampled_from([1.5, 3.0, 100.0]))
def int8_linear_saturates(sol, dtype, factor):
    context(factor=factor)
    q = torch.tensor([[127]], dtype=torch.int8)
    x = torch.tensor([[127.0 * factor], [-127.0 * factor]], dtype=dtype)
    y = sol.int8_linear(x, q, torch.tensor([1.0]), 1.0)
    expect_close(y, torch.tensor([[127.0 * 127], [-127.0 * 127]]), what="int8_linear of x beyond the range", atol=0, rtol=RTOL)


@suite.property("within the calibrated range |int8_linear - x @ w.T| <= x_scale/2·Σ|w| + w_scale/2·Σ|x̂| (the quantization steps bound the error)")
@given(inputs=linear_inputs())
def int8_linear_error_bounded(sol, inputs):
    x, weight, x_scale = inputs
    q, w_scale = reference_quantize(weight, 0)
    y = sol.int8_linear(x, q, w_scale, x_scale)
    expect_tensor(y, what="int8_linear", shape=(x.shape[0], weight.shape[0]))
    exact = x.double() @ weight.double().T
    x_hat = torch.round(x.double() / x_scale) * x_scale
    bound = (x_scale / 2) * weight.double().abs().sum(1)[None, :] + (w_scale.double() / 2)[None, :] * x_hat.abs().sum(1)[:, None]
    bad = (y.double() - exact).abs() > bound * (1 + 1e-5) + 1e-12
    if bool(bad.any()):
        at = tuple(bad.nonzero()[0].tolist())
        expect(False, f"at {list(at)}: the float product is {exact[at].item():.9g}, int8_linear gave {y[at].item():.9g}; "
                      f"the error may be at most {bound[at].item():.6g}")
