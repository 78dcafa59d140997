"""Properties of bilinear resizing (challenge bilinear_resize); F.interpolate is the oracle."""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect_close, expect_tensor
from grader.suites.strategies import dtypes

suite = Suite("bilinear_resize")

# Values stay within ±10; float32 interpolation rounds at ~2e-6 there, a wrong source pixel or
# weight moves an output by > 1e-2.
ATOL, RTOL = 1e-5, 1e-4
flags = st.booleans()


@st.composite
def images(draw, batched=None, min_side=1, max_side=12):
    """A float (C, H, W) or (N, C, H, W) image with values in [-10, 10]."""
    dtype = draw(dtypes)
    batched = draw(st.booleans()) if batched is None else batched
    shape = [draw(st.integers(1, 3)), draw(st.integers(min_side, max_side)), draw(st.integers(min_side, max_side))]
    if batched:
        shape.insert(0, draw(st.integers(1, 3)))
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    values = torch.rand(shape, generator=gen, dtype=torch.float64) * 20 - 10
    if draw(st.booleans()):
        values = values.round()  # integer images make hand-checking a failure easier
    return values.to(dtype)


sizes = st.tuples(st.integers(1, 16), st.integers(1, 16))


def oracle(image, size, align_corners):
    x = image.double()
    batched = x.dim() == 4
    out = F.interpolate(x if batched else x[None], size=tuple(size), mode="bilinear", align_corners=align_corners)
    return out if batched else out[0]


def out_shape(image, size):
    return (*image.shape[:-2], *size)


@suite.property("returns the input's rank and dtype, with the last two dimensions equal to size = (out_h, out_w)")
@given(image=images(), size=sizes, align_corners=flags)
def output_contract(sol, image, size, align_corners):
    out = sol.resize_bilinear(image, size, align_corners)
    expect_tensor(out, what=f"resize_bilinear(image, size={size}, align_corners={align_corners})", dtype=image.dtype,
                  shape=out_shape(image, size))


@suite.property("equals F.interpolate(mode='bilinear', antialias=False) when upsampling and downsampling, in both corner conventions")
@given(image=images(), size=sizes, align_corners=flags)
def matches_interpolate(sol, image, size, align_corners):
    out = sol.resize_bilinear(image, size, align_corners)
    expect_tensor(out, what="resize_bilinear", shape=out_shape(image, size))
    expect_close(out, oracle(image, size, align_corners), what=f"resized image (align_corners={align_corners})", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: the row [0, 1] widened to 4 is [0, 0.25, 0.75, 1] (half-pixel) or [0, 1/3, 2/3, 1] (align_corners)")
@given(dtype=dtypes, align_corners=flags)
def worked_example(sol, dtype, align_corners):
    image = torch.tensor([[[0.0, 1.0]]], dtype=dtype)
    expected = [0.0, 1 / 3, 2 / 3, 1.0] if align_corners else [0.0, 0.25, 0.75, 1.0]
    out = sol.resize_bilinear(image, (1, 4), align_corners)
    expect_close(out, torch.tensor([[expected]]), what=f"resize_bilinear([[0, 1]], (1, 4), align_corners={align_corners})", atol=ATOL, rtol=RTOL)


# Computed with torch 2.14.1 F.interpolate (and torchvision 0.29 resize, antialias=False, which
# agrees for align_corners=False) on the 2×3 image below.
LIBRARY_IMAGE = [[0.0, 1.0, 4.0], [2.0, -1.0, 3.0]]
LIBRARY_CASES = [
    ((3, 5), False, [[0.0, 0.4, 1.0, 2.8, 4.0], [1.0, 0.6, 0.0, 2.1, 3.5], [2.0, 0.8, -1.0, 1.4, 3.0]]),
    ((3, 5), True, [[0.0, 0.5, 1.0, 2.5, 4.0], [1.0, 0.5, 0.0, 1.75, 3.5], [2.0, 0.5, -1.0, 1.0, 3.0]]),
    ((1, 2), False, [[0.75, 2.625]]),
    ((1, 2), True, [[0.0, 4.0]]),
    ((4, 2), False, [[0.25, 3.25], [0.5, 2.9375], [1.0, 2.3125], [1.25, 2.0]]),
]


@suite.property("agrees with fixed torch/torchvision results on a 2×3 image: upsampling, downsampling to one row, both conventions")
@given(case=st.sampled_from(range(len(LIBRARY_CASES))), dtype=dtypes)
def library_fixed_values(sol, case, dtype):
    size, align_corners, expected = LIBRARY_CASES[case]
    out = sol.resize_bilinear(torch.tensor([LIBRARY_IMAGE], dtype=dtype), size, align_corners)
    expect_close(out, torch.tensor([expected]), what=f"resize to {size} with align_corners={align_corners}", atol=ATOL, rtol=RTOL)


@suite.property("resizing to the image's own size returns the image unchanged")
@given(image=images(), align_corners=flags)
def same_size_is_identity(sol, image, align_corners):
    out = sol.resize_bilinear(image, tuple(image.shape[-2:]), align_corners)
    expect_close(out, image, what="image resized to its own size", atol=ATOL, rtol=RTOL)


@suite.property("a constant image stays the same constant at every size")
@given(value=st.integers(-10, 10), channels=st.integers(1, 3), in_size=sizes, size=sizes, align_corners=flags, dtype=dtypes)
def constant_stays_constant(sol, value, channels, in_size, size, align_corners, dtype):
    image = torch.full((channels, *in_size), float(value), dtype=dtype)
    out = sol.resize_bilinear(image, size, align_corners)
    expect_close(out, torch.full((channels, *size), float(value)), what="resized constant image", atol=ATOL, rtol=RTOL)


@suite.property("with align_corners=True the four corner pixels of the output equal the input's corner pixels")
@given(image=images(batched=False, min_side=2), size=st.tuples(st.integers(2, 16), st.integers(2, 16)))
def align_corners_keeps_corners(sol, image, size):
    out = sol.resize_bilinear(image, size, True)
    expect_tensor(out, what="resize_bilinear", shape=out_shape(image, size))
    corners = lambda t: torch.stack([t[..., 0, 0], t[..., 0, -1], t[..., -1, 0], t[..., -1, -1]], -1)  # noqa: E731
    expect_close(corners(out), corners(image), what="corners (top-left, top-right, bottom-left, bottom-right)", atol=ATOL, rtol=RTOL)


@suite.property("an output of one pixel per side is the top-left input pixel with align_corners=True, the image centre with align_corners=False")
@given(image=images(batched=False), align_corners=flags)
def single_pixel_output(sol, image, align_corners):
    for size in ((1, 1), (1, image.shape[-1]), (image.shape[-2], 1)):
        out = sol.resize_bilinear(image, size, align_corners)
        expect_close(out, oracle(image, size, align_corners), what=f"resize to {size} (align_corners={align_corners})", atol=ATOL, rtol=RTOL)


@suite.property("no antialiasing: shrinking by 3 with align_corners=False returns the centre pixel of each 3×3 block, it does not average the block")
@given(image=images(batched=False, max_side=4), align_corners=st.just(False))
def downsample_without_antialiasing(sol, image, align_corners):
    height, width = image.shape[-2:]
    big = image.repeat_interleave(3, dim=-2).repeat_interleave(3, dim=-1).clone()
    # Make every pixel of a block differ from its centre, so averaging and sampling disagree.
    ramp = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0], [2.0, 1.5, -4.0]], dtype=image.dtype)
    big += ramp.repeat(height, width)
    context(block_offsets=ramp.tolist())
    out = sol.resize_bilinear(big, (height, width), align_corners)
    expect_close(out, image, what="each output pixel against the centre of its 3×3 block", atol=ATOL, rtol=RTOL)


@suite.property("a batch (N, C, H, W) is resized image by image: the result equals resizing each (C, H, W) image alone")
@given(image=images(batched=True), size=sizes, align_corners=flags)
def batch_matches_single(sol, image, size, align_corners):
    whole = sol.resize_bilinear(image, size, align_corners)
    expect_tensor(whole, what="resize_bilinear on a batch", shape=out_shape(image, size))
    singles = torch.stack([torch.as_tensor(sol.resize_bilinear(image[i], size, align_corners)) for i in range(len(image))])
    expect_close(whole, singles, what="batched result against one image at a time", atol=ATOL, rtol=RTOL)
