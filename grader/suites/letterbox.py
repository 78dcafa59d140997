"""Properties of YOLO letterbox preprocessing and of mapping boxes back, shared by every letterbox track."""

import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_equal, expect_tensor
from reference.ops.letterbox import letterbox as reference_letterbox
from reference.ops.letterbox import unletterbox_boxes as reference_unletterbox
from grader.suites.strategies import dtypes

suite = Suite("letterbox")

# Pixel values lie in [0, 255]: float32 bilinear interpolation is off by a few 1e-5 there, so 1e-3
# absolute accepts it while any misplaced sample (a shift of a fraction of a pixel) is far larger.
ATOL = 1e-3


@st.composite
def images(draw, *, max_side=12):
    """A float (C, H, W) image with values in [0, 255] and a target shape (new_h, new_w)."""
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1), label="seed"))
    image = (torch.rand(c, h, w, generator=generator, dtype=torch.float64) * 255).to(draw(dtypes))
    new_shape = (draw(st.integers(1, 16), label="new_h"), draw(st.integers(1, 16), label="new_w"))
    # The statement promises both resized sides are at least one pixel.
    ratio = min(new_shape[0] / h, new_shape[1] / w)
    assume(round(h * ratio) >= 1 and round(w * ratio) >= 1)
    return image, new_shape


def boxed(sol, *args, **kwargs):
    out = sol.letterbox(*args, **kwargs)
    expect(isinstance(out, (tuple, list)) and len(out) == 3,
           f"letterbox should return (image, ratio, (pad_w, pad_h)), got {type(out).__name__}")
    padded, ratio, pad = out
    expect(isinstance(pad, (tuple, list)) and len(pad) == 2, f"the padding should be a pair (pad_w, pad_h), got {pad!r}")
    return padded, float(ratio), (float(pad[0]), float(pad[1]))


def geometry(image, new_shape, scaleup=True):
    """(ratio, resized_h, resized_w, top, left) by the statement's rules."""
    h, w = image.shape[-2:]
    ratio = min(new_shape[0] / h, new_shape[1] / w)
    if not scaleup:
        ratio = min(ratio, 1.0)
    rh, rw = int(round(h * ratio)), int(round(w * ratio))
    return ratio, rh, rw, int(round((new_shape[0] - rh) / 2 - 0.1)), int(round((new_shape[1] - rw) / 2 - 0.1))


@suite.property("returns (image, ratio, (pad_w, pad_h)): a (C, new_h, new_w) tensor in the input's dtype, a number and two numbers")
@given(data=images(), scaleup=st.booleans())
def output_contract(sol, data, scaleup):
    image, new_shape = data
    padded, _, _ = boxed(sol, image, new_shape, 114.0, scaleup)
    expect_tensor(padded, what="the letterboxed image", dtype=image.dtype, shape=(image.shape[0],) + new_shape)


@suite.property("ratio = min(new_h / H, new_w / W) (capped at 1 without scaleup); pad_w, pad_h = half of new size minus round(size·ratio)")
@given(data=images(), scaleup=st.booleans())
def ratio_and_padding(sol, data, scaleup):
    image, new_shape = data
    _, ratio, pad = boxed(sol, image, new_shape, 114.0, scaleup)
    _, want_ratio, want_pad = reference_letterbox(image, new_shape, 114.0, scaleup)
    expect_close(ratio, want_ratio, what="ratio", atol=0, rtol=1e-12)
    expect_equal(pad, want_pad, what="(pad_w, pad_h)")


@suite.property("the image equals the reference: bilinear resize (align_corners=False, no antialias) placed in a color-filled canvas")
@given(data=images(), scaleup=st.booleans(), color=st.sampled_from([114.0, 0.0, 255.0]))
def matches_reference(sol, data, scaleup, color):
    image, new_shape = data
    padded, _, _ = boxed(sol, image, new_shape, color, scaleup)
    want, _, _ = reference_letterbox(image.double(), new_shape, color, scaleup)
    expect_tensor(padded, what="the letterboxed image", shape=tuple(want.shape))
    expect_close(padded, want, what=f"letterboxed image (tolerance {ATOL:g} absolute)", atol=ATOL, rtol=0)


@suite.property("worked example from the statement: a 2×4 image into 4×4 keeps its pixels, one row of 114 above and below")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    image = torch.arange(8, dtype=dtype).reshape(1, 2, 4)
    padded, ratio, pad = boxed(sol, image, (4, 4))
    want = torch.tensor([[[114.0] * 4, [0, 1, 2, 3], [4, 5, 6, 7], [114.0] * 4]])
    expect_close(padded, want, what="letterbox(arange(8).reshape(1, 2, 4), (4, 4))", atol=ATOL, rtol=0)
    expect_equal((ratio, pad), (1.0, (0.0, 1.0)), what="(ratio, (pad_w, pad_h))")
    up, ratio, _ = boxed(sol, torch.arange(4, dtype=dtype).reshape(1, 2, 2), 4)
    expect_equal(ratio, 2.0, what="ratio of a 2×2 image into new_shape=4")
    expect_close(up[0, 0], torch.tensor([0.0, 0.25, 0.75, 1.0]), what="first row of the 2× upscaled [[0, 1], [2, 3]]",
                 atol=ATOL, rtol=0)


@suite.property("the padding is filled with color and the content sits at row round(pad_h - 0.1), column round(pad_w - 0.1): an odd pixel goes to the bottom / right")
@given(data=images(), color=st.sampled_from([114.0, -1.0, 300.0]))
def padding_placement(sol, data, color):
    image, new_shape = data
    _, rh, rw, top, left = geometry(image, new_shape)
    context(resized=(rh, rw), top=top, left=left)
    padded, _, _ = boxed(sol, image, new_shape, color)
    expect_tensor(padded, what="the letterboxed image", shape=(image.shape[0],) + new_shape)
    mask = torch.ones(new_shape, dtype=torch.bool)
    mask[top:top + rh, left:left + rw] = False
    border = padded[:, mask]
    expect_equal(border, torch.full_like(border, color), what=f"the {int(mask.sum())} padding pixels of each channel (color {color})")


@suite.property("with scaleup=False an image smaller than new_shape is not enlarged: it is copied pixel for pixel into the centre")
@given(data=images(max_side=8))
def no_upscaling_without_scaleup(sol, data):
    image, _ = data
    new_shape = (image.shape[1] + 5, image.shape[2] + 4)
    context(new_shape=new_shape)
    padded, ratio, pad = boxed(sol, image, new_shape, 114.0, False)
    expect_equal(ratio, 1.0, what="ratio")
    expect_equal(pad, (2.0, 2.5), what="(pad_w, pad_h)")
    expect_equal(padded[:, 2:2 + image.shape[1], 2:2 + image.shape[2]], image, what="the content, copied without resizing")


@suite.property("an image that already has the target shape comes back unchanged, ratio 1 and no padding")
@given(data=images(), scaleup=st.booleans())
def identity_at_target_shape(sol, data, scaleup):
    image, _ = data
    padded, ratio, pad = boxed(sol, image, tuple(image.shape[1:]), 114.0, scaleup)
    expect_equal((ratio, pad), (1.0, (0.0, 0.0)), what="(ratio, (pad_w, pad_h))")
    expect_equal(padded, image, what="the letterboxed image")


@suite.property("the resized size uses round half to even (Python's round): a 10×5 image at ratio 0.5 becomes 5×2, not 5×3")
@given(dtype=dtypes)
def resized_size_rounds_half_even(sol, dtype):
    image = torch.full((1, 10, 5), 7.0, dtype=dtype)
    padded, ratio, pad = boxed(sol, image, (5, 8))
    expect_equal((ratio, pad), (0.5, (3.0, 0.0)), what="(ratio, (pad_w, pad_h)) for a 10×5 image into (5, 8)")
    expect_equal(padded[0, 0], torch.tensor([114.0, 114, 114, 7, 7, 114, 114, 114]), what="first row")


@suite.property("an int new_shape means a square (new_shape, new_shape)")
@given(data=images(), side=st.integers(1, 16))
def int_new_shape_is_square(sol, data, side):
    image, _ = data
    assume(round(image.shape[1] * min(side / image.shape[1], side / image.shape[2])) >= 1)
    assume(round(image.shape[2] * min(side / image.shape[1], side / image.shape[2])) >= 1)
    padded, ratio, pad = boxed(sol, image, side)
    want, want_ratio, want_pad = reference_letterbox(image.double(), (side, side))
    expect_tensor(padded, what=f"letterbox(image, {side})", shape=(image.shape[0], side, side))
    expect_equal((pad, ratio), (want_pad, want_ratio), what="((pad_w, pad_h), ratio)")
    expect_close(padded, want, what="letterboxed image", atol=ATOL, rtol=0)


@st.composite
def boxes_in_image(draw):
    """(image, new_shape, boxes in original pixels (N, 4))."""
    image, new_shape = draw(images())
    h, w = image.shape[1:]
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        x1, y1 = draw(st.integers(0, w)), draw(st.integers(0, h))
        rows.append([x1, y1, draw(st.integers(x1, w)), draw(st.integers(y1, h))])
    return image, new_shape, torch.tensor(rows, dtype=image.dtype).reshape(-1, 4)


@suite.property("unletterbox_boxes returns an (N, 4) tensor in the boxes' dtype, equal to (box - (left, top)) / ratio")
@given(data=boxes_in_image())
def unletterbox_matches_reference(sol, data):
    image, new_shape, original = data
    ratio, _, _, top, left = geometry(image, new_shape)
    pad = reference_letterbox(image, new_shape)[2]
    boxes = original * ratio + torch.tensor([left, top, left, top], dtype=original.dtype)
    out = sol.unletterbox_boxes(boxes, ratio, pad)
    expect_tensor(out, what="unletterbox_boxes", dtype=boxes.dtype, shape=tuple(boxes.shape))
    expect_close(out, reference_unletterbox(boxes.double(), ratio, pad), what="boxes", atol=1e-4, rtol=1e-6)


@suite.property("round trip: a box scaled by ratio and shifted by the real left/top padding maps back onto itself (the odd pixel is on the right / bottom)")
@given(data=boxes_in_image())
def unletterbox_round_trip(sol, data):
    image, new_shape, original = data
    padded, ratio, pad = reference_letterbox(image, new_shape)
    _, _, _, top, left = geometry(image, new_shape)
    context(pad=pad, left=left, top=top, ratio=ratio)
    boxes = original * ratio + torch.tensor([left, top, left, top], dtype=original.dtype)
    out = sol.unletterbox_boxes(boxes, ratio, pad)
    expect_close(out, original, what="boxes mapped forward and back", atol=1e-4, rtol=1e-6)


@suite.property("worked example from the statement: box [1, 1, 3, 2] with ratio 1 and pad (0, 1) maps back to [1, 0, 3, 1]; with pad (1.5, 0.5) and ratio 2, [3, 0, 5, 4] maps to [1, 0, 2, 2]")
@given(dtype=dtypes)
def unletterbox_worked_example(sol, dtype):
    out = sol.unletterbox_boxes(torch.tensor([[1.0, 1.0, 3.0, 2.0]], dtype=dtype), 1.0, (0.0, 1.0))
    expect_close(out, torch.tensor([[1.0, 0.0, 3.0, 1.0]]), what="boxes", atol=1e-6, rtol=0)
    out = sol.unletterbox_boxes(torch.tensor([[3.0, 0.0, 5.0, 4.0]], dtype=dtype), 2.0, (1.5, 0.5))
    expect_close(out, torch.tensor([[1.0, 0.0, 2.0, 2.0]]), what="boxes", atol=1e-6, rtol=0)
