"""Properties of inflating a Conv2d kernel into a Conv3d kernel (I3D)."""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect_close, expect_raises, expect_tensor
from reference.ops.inflate import inflate_conv_weight as reference_inflate
from grader.suites.strategies import dtypes

suite = Suite("inflate")

# Dividing by T may be written as a multiplication by 1/T: values are compared to 1e-6 relative.
ATOL, RTOL = 1e-7, 1e-6
methods = st.sampled_from(("average", "center"))


@st.composite
def weights(draw):
    """A Conv2d weight (O, I, kH, kW) with small random values, in float32 or float64."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    seed = draw(st.integers(0, 2**31 - 1))
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(draw(dtypes))


time_kernels = st.integers(1, 5)


@suite.property("returns an (O, I, T, kH, kW) tensor with the 2D weight's dtype: time is the third axis")
@given(w=weights(), t=time_kernels, method=methods)
def output_contract(sol, w, t, method):
    out = sol.inflate_conv_weight(w, t, method)
    o, i, kh, kw = w.shape
    expect_tensor(out, what=f"inflate_conv_weight(weight_2d, {t}, {method!r})", dtype=w.dtype, shape=(o, i, t, kh, kw))


@suite.property("equals the reference inflation for both methods (within 1e-6 relative)")
@given(w=weights(), t=time_kernels, method=methods)
def matches_reference(sol, w, t, method):
    out = sol.inflate_conv_weight(w, t, method)
    expect_tensor(out, what=f"inflate_conv_weight(weight_2d, {t}, {method!r})", shape=(*w.shape[:2], t, *w.shape[2:]))
    expect_close(out, reference_inflate(w, t, method), what="inflated weight", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: [[[[2, 4]]]] with T=2 gives slices [1, 2], [1, 2] (average) and [0, 0], [2, 4] (center)")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    w = torch.tensor([[[[2.0, 4.0]]]], dtype=dtype)
    average = sol.inflate_conv_weight(w, 2, "average")
    expect_close(average, torch.tensor([[[[[1.0, 2.0]], [[1.0, 2.0]]]]]), what="average inflation", atol=ATOL, rtol=RTOL)
    center = sol.inflate_conv_weight(w, 2, "center")
    expect_close(center, torch.tensor([[[[[0.0, 0.0]], [[2.0, 4.0]]]]]), what="center inflation", atol=ATOL, rtol=RTOL)


@suite.property("the default method is 'average'")
@given(w=weights(), t=time_kernels)
def default_is_average(sol, w, t):
    out = sol.inflate_conv_weight(w, t)
    expect_close(out, reference_inflate(w, t, "average"), what="inflate_conv_weight(weight_2d, T) without a method", atol=ATOL, rtol=RTOL)


@suite.property("summing the inflated kernel over time gives back the 2D kernel, for both methods")
@given(w=weights(), t=time_kernels, method=methods)
def slices_sum_to_2d_kernel(sol, w, t, method):
    out = sol.inflate_conv_weight(w, t, method)
    expect_close(out.double().sum(dim=2), w.double(), what="inflated weight summed over its time axis", atol=1e-6, rtol=1e-5)


@suite.property("on a static clip (all frames equal, time padded by repeating the edge frames) the 3D convolution equals the 2D convolution of each frame")
@given(w=weights(), t=time_kernels, method=methods, frames=st.integers(1, 3), extra=st.integers(0, 2),
       seed=st.integers(0, 2**31 - 1))
def static_clip_reproduces_2d(sol, w, t, method, frames, extra, seed):
    o, i, kh, kw = w.shape
    image = torch.randn(1, i, kh + extra, kw + extra, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    clip = image.unsqueeze(2).repeat(1, 1, frames, 1, 1)
    context(frames=frames, clip_shape=tuple(clip.shape), padding_before=t // 2, padding_after=t - 1 - t // 2)
    padded = F.pad(clip, (0, 0, 0, 0, t // 2, t - 1 - t // 2), mode="replicate")
    weight_3d = sol.inflate_conv_weight(w, t, method)
    expect_tensor(weight_3d, what=f"inflate_conv_weight(weight_2d, {t}, {method!r})", shape=(o, i, t, kh, kw))
    video = F.conv3d(padded, weight_3d.double())
    per_frame = F.conv2d(image, w.double()).unsqueeze(2).repeat(1, 1, frames, 1, 1)
    expect_close(video, per_frame, what="conv3d of the static clip against conv2d of its frame", atol=1e-6, rtol=1e-5)


@suite.property("'center' puts the 2D kernel in slice T // 2 (for even T the later of the two middle slices) and zeros everywhere else")
@given(w=weights(), half=st.integers(1, 3))
def center_slice_is_t_over_2(sol, w, half):
    t = 2 * half
    out = sol.inflate_conv_weight(w, t, "center")
    expected = torch.zeros(*w.shape[:2], t, *w.shape[2:], dtype=torch.float64)
    expected[:, :, t // 2] = w.double()
    expect_close(out, expected, what=f"center inflation with T={t} (the kernel belongs in slice {t // 2})", atol=ATOL, rtol=RTOL)


@suite.property("'average' gives every time slice the same kernel, weight_2d / T")
@given(w=weights(), t=time_kernels)
def average_slices_equal(sol, w, t):
    out = sol.inflate_conv_weight(w, t, "average")
    for s in range(t):
        expect_close(out[:, :, s], w.double() / t, what=f"average inflation, time slice {s} of {t}", atol=ATOL, rtol=RTOL)


@suite.property("raises ValueError for an unknown method, for time_kernel < 1, and for a weight that is not 4-D")
@given(w=weights(), method=st.sampled_from(("mean", "centre", "middle", "Average", "")), t=st.integers(-2, 0))
def rejects_bad_arguments(sol, w, method, t):
    expect_raises(ValueError, sol.inflate_conv_weight, w, 3, method, what=f"inflate_conv_weight with method={method!r}")
    expect_raises(ValueError, sol.inflate_conv_weight, w, t, "average", what=f"inflate_conv_weight with time_kernel={t}")
    expect_raises(ValueError, sol.inflate_conv_weight, w[0], 3, "average", what="inflate_conv_weight with a 3-D weight")
