"""Properties of RoIAlign (torchvision's semantics), forward values and gradients."""

import math

import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect_close, expect_tensor, fail
from reference.ops.roi_align import roi_align as reference_roi_align
from grader.suites.strategies import dtypes

suite = Suite("roi_align")


# Outputs are averages of O(1) features and gradients sums of O(1) upstream values times bilinear
# weights: float32 keeps them within 1e-5 + 1e-4·|expected|.
ATOL, RTOL = 1e-5, 1e-4
SCALES = (1.0, 0.5, 0.25)


def sample_positions(start, size, bins, grid):
    return [start + b * size / bins + (g + 0.5) * (size / bins) / grid for b in range(bins) for g in range(grid)]


def on_a_border_line(rois, output_size, spatial_scale, sampling_ratio, aligned, height, width):
    """True when a sample lands (within rounding) on -1 or on H / W, where a sample switches between
    "clamped to the last pixel" and "outside, 0": float32 and float64 solutions may then disagree."""
    out_h, out_w = output_size
    offset = 0.5 if aligned else 0.0
    for _, x1, y1, x2, y2 in rois.tolist():
        x1, y1, x2, y2 = (v * spatial_scale - offset for v in (x1, y1, x2, y2))
        rw, rh = (x2 - x1, y2 - y1) if aligned else (max(x2 - x1, 1.0), max(y2 - y1, 1.0))
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / out_h)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / out_w)
        for positions, size in ((sample_positions(y1, rh, out_h, max(gh, 0)), height), (sample_positions(x1, rw, out_w, max(gw, 0)), width)):
            if any(abs(p + 1) < 1e-4 or abs(p - size) < 1e-4 for p in positions):
                return True
    return False


@st.composite
def problems(draw, *, min_k=0, max_k=4, aligned=None, sampling_ratio=None, scale=None, max_side=None):
    """features (N, C, H, W), rois (K, 5) on a 1/4-pixel grid (exact in float32), and the options.

    RoIs may hang over the border or lie outside the map; sides may be 0."""
    n, c, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7))
    dtype, seed = draw(dtypes), draw(st.integers(0, 2**31 - 1))
    spatial_scale = scale if scale is not None else draw(st.sampled_from(SCALES))
    k = draw(st.integers(min_k, max_k))
    quarter = lambda lo, hi: st.integers(int(4 * lo), int(4 * hi)).map(lambda q: q / 4 / spatial_scale)  # noqa: E731
    rows = []
    for _ in range(k):
        x1, y1 = draw(quarter(-2, w + 1)), draw(quarter(-2, h + 1))
        sw, sh = draw(quarter(0, max_side or w + 1)), draw(quarter(0, max_side or h + 1))
        rows.append([draw(st.integers(0, n - 1)), x1, y1, x1 + sw, y1 + sh])
    rois = torch.tensor(rows, dtype=dtype).reshape(-1, 5)
    out = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    ratio = sampling_ratio if sampling_ratio is not None else draw(st.sampled_from([-1, 0, 1, 2, 3]))
    is_aligned = aligned if aligned is not None else draw(st.booleans())
    assume(not on_a_border_line(rois, out, spatial_scale, ratio, is_aligned, h, w))
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(n, c, h, w, generator=g, dtype=torch.float64).to(dtype)
    context(seed=seed)
    return features, rois, out, spatial_scale, ratio, is_aligned


def expected(features, rois, out, scale, ratio, aligned):
    return reference_roi_align(features.double(), rois.double(), out, scale, ratio, aligned)


def call(sol, p, **changes):
    features, rois, out, scale, ratio, aligned = p
    args = dict(features=features, rois=rois, output_size=out, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
    args.update(changes)
    return sol.roi_align(args["features"], args["rois"], args["output_size"], args["spatial_scale"], args["sampling_ratio"], args["aligned"])


@suite.property("returns a (K, C, h, w) tensor in the features' dtype; output_size may be an int or (h, w)")
@given(p=problems(), as_int=st.booleans())
def output_contract(sol, p, as_int):
    features, rois, out, *_ = p
    size = out[0] if as_int else out
    result = call(sol, p, output_size=size)
    h, w = (size, size) if as_int else out
    expect_tensor(result, what=f"roi_align(..., output_size={size!r})", dtype=features.dtype, shape=(len(rois), features.shape[1], h, w))


@suite.property("every bin is the average of its bilinear samples, exactly as torchvision's roi_align")
@given(p=problems())
def matches_reference(sol, p):
    features, rois, out, *_ = p
    result = call(sol, p)
    expect_tensor(result, what="roi_align", shape=(len(rois), features.shape[1], *out))
    expect_close(result, expected(*p), what="pooled features", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: a 4×4 ramp, box [0, 0, 2, 2] gives 5.0 (2.5 aligned); 15 and 0 at the border")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    ramp = torch.arange(16, dtype=dtype).reshape(1, 1, 4, 4)
    for box, ratio, aligned, want in (([0, 0, 0, 2, 2], -1, False, 5.0), ([0, 0, 0, 2, 2], -1, True, 2.5),
                                      ([0, 3, 3, 5, 5], 1, False, 15.0), ([0, 4, 4, 6, 6], 1, False, 0.0)):
        result = sol.roi_align(ramp, torch.tensor([box], dtype=dtype), 1, 1.0, ratio, aligned)
        expect_close(result, torch.tensor([[[[want]]]]), what=f"box {box[1:]}, sampling_ratio={ratio}, aligned={aligned}", atol=ATOL, rtol=RTOL)


def library_case(dtype):
    """Two 5×6 single-channel maps with closed-form values and four RoIs: inside, over the border,
    zero-size, partly outside."""
    features = torch.cos(torch.arange(60, dtype=torch.float64) * 0.7).reshape(2, 1, 5, 6).to(dtype)
    rois = torch.tensor([[0, 0.5, 1.0, 4.0, 3.5], [1, -1.5, -1.0, 2.0, 6.5], [0, 3.0, 2.0, 3.0, 2.0], [1, 4.0, 1.0, 9.0, 4.5]], dtype=dtype)
    return features, rois


# torchvision.ops.roi_align (torchvision 0.29.1, float64) on library_case: (output_size,
# spatial_scale, sampling_ratio, aligned, RoI coordinate multiplier, output values, gradient of
# sum(output · arange) with respect to the features).
LIBRARY_CASES = [
    ((2, 2), 1.0, -1, False, 1,
     [-0.4278169547, 0.1135056795, 0.1846013799, -0.3701291453, -0.0540257225, -0.1765929212, 0.0953629967, -0.0007980509,
      -0.3890327398, -0.1870006342, -0.5552952594, -0.6277407343, -0.0040669815, 0.0, -0.183820628, 0.0],
     [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05859375, 0.2109375, 0.10546875, 0.0, 0.013671875, 0.24609375, 0.3779296875,
      9.470703125, 9.6103515625, 0.0, 0.04296875, 0.7734375, 0.880859375, 10.91015625, 10.830078125, 0.0, 0.005859375,
      0.10546875, 0.1201171875, 0.158203125, 0.0791015625, 0.0, 1.1081542969, 1.1206054688, 0.5603027344, 0.0, 0.0, 0.0,
      0.7387695312, 0.7470703125, 0.3735351562, 0.0, 0.65625, 1.59375, 0.7387695312, 0.7470703125, 0.3735351562, 0.0,
      1.3125, 3.1875, 0.9951171875, 0.966796875, 0.4833984375, 0.0, 1.4704861111, 3.5711805556, 1.2473144531,
      1.1997070312, 0.5998535156, 0.0, 1.6163194444, 3.9253472222]),
    ((2, 2), 1.0, 2, True, 1,
     [-0.0505298233, 0.4567545538, -0.2452318087, -0.5023463711, 0.0009153689, -0.1165690358, -0.0702720453, -0.2526375396,
      0.0923653287, 0.0923653287, 0.0923653287, 0.0923653287, -0.3620272436, 0.0, 0.1220470143, 0.0],
     [0.0, 0.0, 0.0380859375, 0.052734375, 0.0029296875, 0.0, 0.0, 0.0, 9.779296875, 9.88671875, 0.021484375, 0.0,
      0.3515625, 0.703125, 10.5458984375, 10.677734375, 0.0654296875, 0.0, 0.2109375, 0.421875, 0.57421875, 0.6328125,
      0.03515625, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.015625, 1.40625, 0.078125, 0.0, 0.1640625, 0.2109375, 1.3857421875,
      0.966796875, 0.0537109375, 0.0, 2.953125, 3.796875, 0.6298828125, 0.439453125, 0.0244140625, 0.0, 3.08984375,
      3.97265625, 2.3740234375, 1.599609375, 0.0888671875, 0.0, 3.4453125, 4.4296875, 0.5478515625, 0.369140625,
      0.0205078125, 0.0, 1.72265625, 2.21484375]),
    ((2, 3), 0.5, -1, True, 2,
     [-0.1530144816, 0.2539718641, 0.4939176779, -0.1621168856, -0.4709333182, -0.4756857675, 0.0, 0.0213693844,
      -0.0297469258, 0.0, 0.2250573523, 0.0616500468, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.310112305, -0.2259586829, 0.0,
      0.0678408577, 0.1129819957, 0.0],
     [0.0, 0.025390625, 0.1015625, 0.134765625, 0.01953125, 0.0, 0.0, 0.1861979167, 0.7447916667, 0.98828125,
      0.1432291667, 0.0, 0.78125, 1.830078125, 2.59375, 2.580078125, 0.37109375, 0.0, 0.46875, 1.0625, 1.4140625,
      1.359375, 0.1953125, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.4148763021, 1.6801757813, 0.2408854167, 0.0234375,
      0.328125, 0.5078125, 2.2190755208, 1.5439453125, 0.2213541667, 0.421875, 5.90625, 9.140625, 2.4651692708,
      1.6977539062, 0.2433268229, 0.44140625, 6.1796875, 9.55078125, 3.1487630208, 2.125, 0.3043619792, 0.4921875,
      6.890625, 10.6171875, 4.9083658854, 3.3125, 0.4744466146, 0.24609375, 3.4453125, 5.30859375]),
    ((1, 2), 1.0, 0, False, 1,
     [-0.0736938944, -0.1520712527, 0.0206686371, -0.088695486, -0.4721639996, -0.4073706842, -0.0939438047, 0.0],
     [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0303819444, 0.109375, 0.0546875, 0.0, 0.0, 0.0, 0.0607638889, 2.34375,
      2.484375, 0.0, 0.0, 0.0, 0.0607638889, 2.34375, 2.484375, 0.0, 0.0, 0.0, 0.0043402778, 0.015625, 0.0078125, 0.0,
      0.2926025391, 0.3361816406, 0.1680908203, 0.0, 0.0, 0.0, 0.1950683594, 0.2241210938, 0.1120605469, 0.0, 0.1640625,
      0.3984375, 0.1950683594, 0.2241210938, 0.1120605469, 0.0, 0.328125, 0.796875, 0.1950683594, 0.2241210938,
      0.1120605469, 0.0, 0.328125, 0.796875, 0.2237548828, 0.2570800781, 0.1285400391, 0.0, 0.3463541667, 0.8411458333]),
]


def features_gradient(sol, features, rois, out, scale, ratio, aligned, upstream, want):
    """d/d features of sum(upstream · roi_align(...)), through the candidate's autograd graph.
    ``want`` is the expected gradient: an output that does not depend on the features at all (every
    RoI empty, say) may rightly carry no graph, and that is a failure only where ``want`` is not 0."""
    leaf = features.detach().clone().requires_grad_(True)
    result = sol.roi_align(leaf, rois, out, scale, ratio, aligned)
    expect_tensor(result, what="roi_align", shape=tuple(upstream.shape))
    if not result.requires_grad:
        if not bool(want.any()):
            return torch.zeros_like(leaf)
        fail("roi_align's output does not depend on features through autograd: build it from torch operations "
             "(no .item(), .tolist(), numpy or torch.no_grad on the feature path) so gradients can flow")
    (grad,) = torch.autograd.grad(result, leaf, upstream.to(result.dtype), allow_unused=True)
    return torch.zeros_like(leaf) if grad is None else grad


@suite.property("agrees with torchvision.ops.roi_align and its gradient on fixed RoIs (values recorded from the library)")
@given(case=st.sampled_from(LIBRARY_CASES), dtype=dtypes)
def library_values(sol, case, dtype):
    out, scale, ratio, aligned, multiplier, values, gradient = case
    features, rois = library_case(dtype)
    rois[:, 1:] *= multiplier
    context(output_size=out, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
    result = sol.roi_align(features, rois, out, scale, ratio, aligned)
    expect_close(torch.as_tensor(result).flatten(), torch.tensor(values), what="roi_align against torchvision", atol=ATOL, rtol=RTOL)
    upstream = torch.arange(len(values), dtype=torch.float64).reshape(len(rois), 1, *out)
    grad = features_gradient(sol, features, rois, out, scale, ratio, aligned, upstream, torch.tensor(gradient))
    expect_close(grad.flatten(), torch.tensor(gradient), what="gradient against torchvision", atol=ATOL, rtol=RTOL)


@suite.property("gradients with respect to features equal torchvision's: each sample sends its bilinear weights / count back")
@given(p=problems(min_k=1), seed=st.integers(0, 2**31 - 1))
def gradient_matches(sol, p, seed):
    features, rois, out, scale, ratio, aligned = p
    upstream = torch.randn(len(rois), features.shape[1], *out, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    context(upstream_seed=seed)
    leaf = features.detach().double().requires_grad_(True)
    (want,) = torch.autograd.grad(reference_roi_align(leaf, rois.double(), out, scale, ratio, aligned), leaf, upstream,
                                  allow_unused=True)
    want = torch.zeros_like(leaf) if want is None else want
    grad = features_gradient(sol, features, rois, out, scale, ratio, aligned, upstream, want)
    bound = 1 + want.abs().max().item()
    expect_close(grad, want, what="d(sum(upstream · output)) / d features", atol=ATOL * bound, rtol=RTOL)


@suite.property("on a constant feature map every bin of a RoI inside the map equals the constant (the samples are averaged, not summed)")
@given(p=problems(min_k=1, scale=1.0), value=st.integers(-5, 5))
def constant_map_gives_constant(sol, p, value):
    features, rois, out, scale, ratio, aligned = p
    h, w = features.shape[-2:]
    inside = rois.clone()
    inside[:, 1] = inside[:, 1].clamp(0, w - 1)
    inside[:, 2] = inside[:, 2].clamp(0, h - 1)
    inside[:, 3] = torch.maximum(inside[:, 1], inside[:, 3].clamp(0, w - 1))
    inside[:, 4] = torch.maximum(inside[:, 2], inside[:, 4].clamp(0, h - 1))
    constant = torch.full_like(features, float(value))
    context(value=value)
    result = sol.roi_align(constant, inside, out, 1.0, ratio, False)
    expect_close(result, torch.full((len(rois), features.shape[1], *out), float(value)), what="pooled constant map", atol=ATOL, rtol=RTOL)


@suite.property("aligned=True shifts the box by half a feature-map pixel: aligned on box + 0.5/spatial_scale equals not aligned on box")
@given(p=problems(min_k=1, scale=None), scale=st.sampled_from([0.5, 0.25]))
def aligned_half_pixel(sol, p, scale):
    features, rois, out, _, ratio, _ = p
    # Boxes at least 1 feature pixel wide, so aligned=False does not widen them.
    boxes = rois.clone()
    boxes[:, 3] = torch.maximum(boxes[:, 3], boxes[:, 1] + 1 / scale)
    boxes[:, 4] = torch.maximum(boxes[:, 4], boxes[:, 2] + 1 / scale)
    shifted = boxes.clone()
    shifted[:, 1:] += 0.5 / scale
    assume(not on_a_border_line(boxes, out, scale, ratio, False, *features.shape[-2:]))
    context(spatial_scale=scale)
    plain = sol.roi_align(features, boxes, out, scale, ratio, False)
    moved = sol.roi_align(features, shifted, out, scale, ratio, True)
    expect_close(moved, plain, what="aligned=True on the shifted boxes against aligned=False", atol=ATOL, rtol=RTOL)


@suite.property("spatial_scale maps image coordinates onto the feature map: boxes × 2 with scale 0.5 give the same result as scale 1")
@given(p=problems(min_k=1, scale=1.0))
def spatial_scale_applies(sol, p):
    features, rois, out, _, ratio, aligned = p
    doubled = rois.clone()
    doubled[:, 1:] *= 2
    once = sol.roi_align(features, rois, out, 1.0, ratio, aligned)
    again = sol.roi_align(features, doubled, out, 0.5, ratio, aligned)
    expect_close(again, once, what="boxes × 2 at spatial_scale 0.5 against boxes at 1.0", atol=ATOL, rtol=RTOL)


@suite.property("samples more than one pixel outside the map count as 0: a box entirely beyond the right or bottom edge pools to 0")
@given(p=problems(min_k=1, scale=1.0), gap=st.integers(2, 6), right=st.booleans())
def zero_outside(sol, p, gap, right):
    features, rois, out, _, ratio, aligned = p
    h, w = features.shape[-2:]
    far = rois.clone()
    if right:
        far[:, [1, 3]] += w + gap - far[:, 1:2]
    else:
        far[:, [2, 4]] += h + gap - far[:, 2:3]
    context(gap=gap, edge="right" if right else "bottom")
    result = sol.roi_align(features, far, out, 1.0, ratio, aligned)
    expect_close(result, torch.zeros(len(rois), features.shape[1], *out), what="pooled values of boxes outside the map", atol=0, rtol=0)


@suite.property("with aligned=False a box smaller than 1×1 feature pixel is widened to 1×1 (a zero-size box still samples the map)")
@given(p=problems(min_k=1, scale=1.0, aligned=False), ratio=st.sampled_from([-1, 1, 2]))
def small_roi_widened(sol, p, ratio):
    features, rois, out, *_ = p
    h, w = features.shape[-2:]
    points = rois.clone()
    points[:, 1] = points[:, 1].clamp(0, w - 1).floor()
    points[:, 2] = points[:, 2].clamp(0, h - 1).floor()
    points[:, 3], points[:, 4] = points[:, 1], points[:, 2]
    context(sampling_ratio=ratio)
    result = sol.roi_align(features, points, out, 1.0, ratio, False)
    expect_close(result, expected(features, points, out, 1.0, ratio, False), what="pooled zero-size boxes", atol=ATOL, rtol=RTOL)


@suite.property("column 0 of each RoI picks its image: a RoI on image n gives what the same RoI gives on that image alone")
@given(p=problems(min_k=1))
def batch_index_picks_image(sol, p):
    features, rois, out, scale, ratio, aligned = p
    together = sol.roi_align(features, rois, out, scale, ratio, aligned)
    expect_tensor(together, what="roi_align", shape=(len(rois), features.shape[1], *out))
    for k, roi in enumerate(rois):
        n = int(roi[0])
        alone = roi.clone()
        alone[0] = 0
        single = sol.roi_align(features[n : n + 1], alone[None], out, scale, ratio, aligned)
        expect_close(together[k : k + 1], single, what=f"RoI {k} (image {n}) against the same box on image {n} alone", atol=ATOL, rtol=RTOL)
