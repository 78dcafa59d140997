"""Properties of multi-camera projection and feature lifting (challenge voxel_lifting)."""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_equal, expect_tensor
from reference.ops.voxel_lifting import lift_features as reference_lift
from reference.ops.voxel_lifting import project_points as reference_project
from grader.suites.strategies import dtypes

suite = Suite("voxel_lifting")

# Projection: depths within 1e-4 (+1e-4 relative); uv compared where depth > 0.1, within 1e-3
# (+1e-4 relative) — float32 rounding of coordinates up to ~10 is ~1e-6, a wrong convention is ≥ 0.5.
DEPTH_ATOL, UV_ATOL, RTOL = 1e-4, 1e-3, 1e-4
# Lifting: features within ±10, bilinear weights exact to ~1e-6 in float32.
LIFT_ATOL = 1e-5


def _rotation(q):
    w, x, y, z = (q / q.norm()).tolist()
    return torch.tensor([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ], dtype=torch.float64)


@st.composite
def cameras(draw, max_views=3, max_points=8):
    """Random points and V pinhole cameras looking roughly towards them, plus an image size (H, W)."""
    dtype = draw(dtypes)
    views, count = draw(st.integers(1, max_views)), draw(st.integers(1, max_points))
    height, width = draw(st.integers(2, 10)), draw(st.integers(2, 10))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    points = torch.rand(count, 3, generator=gen, dtype=torch.float64) * 6 - 3
    intrinsics, extrinsics = [], []
    for _ in range(views):
        fx, fy = (torch.rand(2, generator=gen, dtype=torch.float64) * 7 + 1).tolist()
        cx, cy = torch.rand(1, generator=gen).item() * (width - 1), torch.rand(1, generator=gen).item() * (height - 1)
        intrinsics.append(torch.tensor([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], dtype=torch.float64))
        # Mostly small rotations, so a good share of the points lands in front of the camera.
        q = torch.tensor([1.0, 0, 0, 0], dtype=torch.float64) + torch.randn(4, generator=gen, dtype=torch.float64) * draw(st.sampled_from([0.1, 0.4, 2.0]))
        pose = torch.eye(4, dtype=torch.float64)
        pose[:3, :3] = _rotation(q)
        pose[:3, 3] = torch.rand(3, generator=gen, dtype=torch.float64) * 2 - 1
        pose[2, 3] += 4.0  # push the points in front of the camera
        extrinsics.append(pose)
    return points.to(dtype), torch.stack(intrinsics).to(dtype), torch.stack(extrinsics).to(dtype), (height, width)


@st.composite
def lift_inputs(draw, max_views=3, max_points=8):
    """Features (V, C, H, W), uv inside the image where valid, garbage (NaN, huge) elsewhere."""
    dtype = draw(dtypes)
    views, channels, count = draw(st.integers(1, max_views)), draw(st.integers(1, 3)), draw(st.integers(1, max_points))
    height, width = draw(st.integers(2, 8)), draw(st.integers(2, 8))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    features = (torch.rand(views, channels, height, width, generator=gen, dtype=torch.float64) * 20 - 10).to(dtype)
    uv = torch.rand(views, count, 2, generator=gen, dtype=torch.float64) * torch.tensor([width - 1, height - 1], dtype=torch.float64)
    if draw(st.booleans()):
        uv = (uv * 2).round() / 2  # half-integers and integers, borders included
    valid = torch.rand(views, count, generator=gen) < draw(st.sampled_from([0.3, 0.7, 1.0]))
    garbage = draw(st.sampled_from([float("nan"), 1e9, -1e9, -0.5]))
    uv = torch.where(valid[..., None], uv, torch.full_like(uv, garbage))
    return features, uv.to(dtype), valid


def _project(sol, *args):
    result = sol.project_points(*args)
    expect(isinstance(result, tuple) and len(result) == 3,
           f"project_points must return a tuple (uv, depth, valid), got {type(result).__name__}")
    return result


def _camera(dtype, fx=1.0, fy=1.0, cx=0.0, cy=0.0, translation=(0.0, 0.0, 0.0)):
    intrinsics = torch.tensor([[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]], dtype=dtype)
    extrinsics = torch.eye(4, dtype=dtype)[None].clone()
    extrinsics[0, :3, 3] = torch.tensor(translation, dtype=dtype)
    return intrinsics, extrinsics


@suite.property("project_points returns uv (V, P, 2) and depth (V, P) in the points' dtype and valid (V, P) bool; lift_features returns (P, C) in the features' dtype")
@given(geometry=cameras(), lift=lift_inputs())
def output_contract(sol, geometry, lift):
    points, intrinsics, extrinsics, image_size = geometry
    uv, depth, valid = _project(sol, points, intrinsics, extrinsics, image_size)
    views, count = len(intrinsics), len(points)
    expect_tensor(uv, what="uv", dtype=points.dtype, shape=(views, count, 2))
    expect_tensor(depth, what="depth", dtype=points.dtype, shape=(views, count))
    expect_tensor(valid, what="valid", dtype=torch.bool, shape=(views, count))
    features, lift_uv, lift_valid = lift
    out = sol.lift_features(features, lift_uv, lift_valid)
    expect_tensor(out, what="lift_features", dtype=features.dtype, shape=(lift_uv.shape[1], features.shape[1]))


@suite.property("project_points equals the reference: camera = extrinsics · [p, 1], pixel = intrinsics · camera / depth, valid inside [0, W-1] × [0, H-1] with depth > 1e-6")
@given(geometry=cameras())
def project_matches_reference(sol, geometry):
    points, intrinsics, extrinsics, image_size = geometry
    uv, depth, valid = _project(sol, points, intrinsics, extrinsics, image_size)
    ref_uv, ref_depth, ref_valid = reference_project(points.double(), intrinsics.double(), extrinsics.double(), image_size)
    expect_close(depth, ref_depth, what="depth", atol=DEPTH_ATOL, rtol=RTOL)
    front = ref_depth > 0.1
    expect_close(torch.as_tensor(uv)[front], ref_uv[front], what="uv of points at depth > 0.1", atol=UV_ATOL, rtol=RTOL)
    height, width = image_size
    u, v = ref_uv[..., 0], ref_uv[..., 1]
    margin = 1e-3 * (1 + ref_uv.abs().amax(-1))
    # Points almost on the camera plane (0 < depth < 0.05) or within rounding of a border are left to
    # the dedicated properties; everywhere else float32 and float64 solutions must agree exactly.
    inside_clear = ((u.abs() > margin) & ((u - (width - 1)).abs() > margin)
                    & (v.abs() > margin) & ((v - (height - 1)).abs() > margin))
    clear = (ref_depth < -1e-3) | ((ref_depth > 0.05) & inside_clear)
    expect_equal(torch.as_tensor(valid)[clear], ref_valid[clear], what="valid (entries not within rounding of a border)")


@suite.property("worked example from the statement: two cameras, a 3×4 image, points on the borders, behind the camera and outside the image")
@given(dtype=dtypes)
def project_worked_example(sol, dtype):
    points = torch.tensor([[0.0, 0.0, 1.0], [0.75, 0.5, 1.0], [0.0, 0.0, -1.0], [2.0, 0.0, 2.0], [-1.5, -1.0, 2.0]], dtype=dtype)
    intrinsics = torch.tensor([[2.0, 0.0, 1.5], [0.0, 2.0, 1.0], [0.0, 0.0, 1.0]], dtype=dtype).repeat(2, 1, 1)
    extrinsics = torch.eye(4, dtype=dtype).repeat(2, 1, 1)
    extrinsics[1, 0, 3] = -1.0  # camera 1 sits at world x = +1: camera x = world x - 1
    uv, depth, valid = _project(sol, points, intrinsics, extrinsics, (3, 4))
    expected_uv = [[[1.5, 1.0], [3.0, 2.0]], [[-0.5, 1.0], [1.0, 2.0]]]
    expect_close(torch.as_tensor(uv)[:, :2], torch.tensor(expected_uv), what="uv of the first two points", atol=UV_ATOL, rtol=RTOL)
    expect_close(depth, torch.tensor([[1.0, 1.0, -1.0, 2.0, 2.0]] * 2), what="depth", atol=DEPTH_ATOL, rtol=RTOL)
    expect_close(torch.as_tensor(uv)[:, 3:], torch.tensor([[[3.5, 1.0], [0.0, 0.0]], [[2.5, 1.0], [-1.0, 0.0]]]),
                 what="uv of the last two points", atol=UV_ATOL, rtol=RTOL)
    expect_equal(valid, torch.tensor([[True, True, False, False, True], [False, True, False, True, False]]), what="valid")


@suite.property("pixel centres are at integer coordinates and the border centres count: u = 0 and u = W - 1 (v = 0, v = H - 1) are valid, half a pixel beyond is not")
@given(side=st.integers(2, 8), depth_power=st.integers(-2, 3), dtype=dtypes)
def border_pixel_centres_are_valid(sol, side, depth_power, dtype):
    z = 2.0 ** depth_power
    context(depth=z)
    last = side - 1
    targets = [(0, 0), (last, last), (0, last), (last, 0), (-0.5, 0), (last + 0.5, 0), (0, -0.5), (0, last + 0.5)]
    points = torch.tensor([[u * z, v * z, z] for u, v in targets], dtype=dtype)
    intrinsics, extrinsics = _camera(dtype)
    uv, _, valid = _project(sol, points, intrinsics, extrinsics, (side, side))
    expect_equal(valid, torch.tensor([[True] * 4 + [False] * 4]), what=f"valid for (u, v) = {targets} in a {side}×{side} image")


@suite.property("image_size is (H, W): u (the column) is checked against W - 1 and v (the row) against H - 1")
@given(height=st.integers(2, 5), extra=st.integers(2, 5), dtype=dtypes)
def image_size_is_height_width(sol, height, extra, dtype):
    width = height + extra
    context(height=height, width=width)
    targets = [(width - 1, 0), (0, height - 1), (width - 1, height - 1), (0, width - 1)]
    points = torch.tensor([[u, v, 1.0] for u, v in targets], dtype=dtype)
    intrinsics, extrinsics = _camera(dtype)
    _, _, valid = _project(sol, points, intrinsics, extrinsics, (height, width))
    expect_equal(valid, torch.tensor([[True, True, True, False]]),
                 what=f"valid for (u, v) = {targets} with image_size = (H, W) = ({height}, {width})")


@suite.property("a point behind the camera is invalid even though it projects into the image (its mirror image in front lands on the same pixel); uv stays finite")
@given(u=st.integers(0, 4), v=st.integers(0, 4), z=st.sampled_from([1.0, 2.0, 0.5]), dtype=dtypes)
def points_behind_camera_invalid(sol, u, v, z, dtype):
    # A centred camera: (x, y, z) and (-x, -y, -z) project to the same pixel.
    intrinsics, extrinsics = _camera(dtype, cx=2.0, cy=2.0)
    front = [(u - 2) * z, (v - 2) * z, z]
    points = torch.tensor([front, [-c for c in front], [0.0, 0.0, 0.0]], dtype=dtype)
    uv, depth, valid = _project(sol, points, intrinsics, extrinsics, (5, 5))
    expect_equal(valid, torch.tensor([[True, False, False]]), what="valid for a point in front, its mirror behind, and one at the camera centre")
    expect(bool(torch.isfinite(torch.as_tensor(uv)).all()), f"uv must be finite everywhere, got {torch.as_tensor(uv).tolist()}")


@suite.property("lift_features equals the reference: bilinear samples at uv (pixel centres at integers), averaged over the cameras where valid, zeros where none")
@given(lift=lift_inputs())
def lift_matches_reference(sol, lift):
    features, uv, valid = lift
    out = sol.lift_features(features, uv, valid)
    expect_tensor(out, what="lift_features", shape=(uv.shape[1], features.shape[1]))
    expect_close(out, reference_lift(features.double(), uv.double(), valid), what="lifted features", atol=LIFT_ATOL, rtol=RTOL)


# Computed with F.grid_sample(align_corners=True) in torch 2.14.1, averaged over valid cameras.
LIFT_FEATURES = (torch.arange(24, dtype=torch.float64).reshape(2, 1, 3, 4) ** 1.5)
LIFT_UV = [[[0.5, 0.5], [3.0, 2.0], [1.25, 1.75]], [[2.0, 1.0], [0.0, 0.0], [2.5, 0.5]]]
LIFT_VALID = [[True, True, True], [True, False, True]]
LIFT_EXPECTED = [[40.70630867001094], [36.4828726939094], [45.77389223555352]]


@suite.property("agrees with fixed grid_sample(align_corners=True) values (2 cameras, 3 points, one unseen by camera 1)")
@given(dtype=dtypes)
def lift_fixed_values(sol, dtype):
    out = sol.lift_features(LIFT_FEATURES.to(dtype), torch.tensor(LIFT_UV, dtype=dtype), torch.tensor(LIFT_VALID))
    expect_close(out, torch.tensor(LIFT_EXPECTED), what="lifted features", atol=1e-4, rtol=RTOL)


@suite.property("is the same as F.grid_sample(bilinear, align_corners=True) per camera, averaged over the valid cameras")
@given(lift=lift_inputs())
def lift_matches_grid_sample(sol, lift):
    features, uv, valid = lift
    height, width = features.shape[-2:]
    safe = torch.where(valid[..., None], uv.double(), torch.zeros_like(uv, dtype=torch.float64))
    grid = torch.stack([safe[..., 0] / (width - 1) * 2 - 1, safe[..., 1] / (height - 1) * 2 - 1], -1)[:, :, None, :]
    samples = F.grid_sample(features.double(), grid, mode="bilinear", align_corners=True)[..., 0]  # (V, C, P)
    seen = valid.sum(0)
    expected = (samples * valid[:, None, :]).sum(0).T / seen.clamp(min=1)[:, None]
    expect_close(sol.lift_features(features, uv, valid), expected, what="lifted features against grid_sample", atol=LIFT_ATOL, rtol=RTOL)


@suite.property("at integer uv (a pixel centre, the last row and column included) the sample is exactly that pixel's feature")
@given(lift=lift_inputs(max_views=1))
def samples_at_pixel_centres(sol, lift):
    features, _, _ = lift
    _, channels, height, width = features.shape
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    uv = torch.stack([cols.flatten(), rows.flatten()], -1)[None].to(features.dtype)
    valid = torch.ones(1, height * width, dtype=torch.bool)
    out = sol.lift_features(features, uv, valid)
    expect_close(out, features[0].reshape(channels, -1).T, what="feature sampled at every pixel centre (row-major order)", atol=LIFT_ATOL, rtol=RTOL)


@suite.property("the mean is over the cameras that see the point only: a point seen by k cameras averages k samples, a point seen by none gets zeros")
@given(views=st.integers(2, 4), seen=st.integers(0, 4), value=st.integers(1, 5), dtype=dtypes)
def averages_valid_cameras_only(sol, views, seen, value, dtype):
    seen = min(seen, views)
    context(cameras_seeing_the_point=seen)
    features = torch.full((views, 2, 3, 3), float(value), dtype=dtype)
    uv = torch.ones(views, 1, 2, dtype=dtype)
    valid = torch.tensor([[i < seen] for i in range(views)])
    out = sol.lift_features(features, uv, valid)
    expected = torch.full((1, 2), float(value) if seen else 0.0)
    expect_close(out, expected, what=f"a constant feature {value} seen by {seen} of {views} cameras", atol=LIFT_ATOL, rtol=RTOL)


@suite.property("uv of invalid entries is never read: NaN or huge values there change nothing and never leak NaN into the result")
@given(lift=lift_inputs(), garbage=st.sampled_from([float("nan"), float("inf"), 1e12, -1e12]))
def invalid_uv_ignored(sol, lift, garbage):
    features, uv, valid = lift
    context(garbage=garbage)
    poisoned = torch.where(valid[..., None], uv, torch.full_like(uv, garbage))
    out = torch.as_tensor(sol.lift_features(features, poisoned, valid))
    expect(not bool(out.isnan().any()), f"the result contains NaN: {out.tolist()}")
    expect_close(out, reference_lift(features.double(), uv.double(), valid), what="lifted features with garbage uv where invalid", atol=LIFT_ATOL, rtol=RTOL)


@suite.property("bilinear sampling reproduces linear features exactly: if feature = a·u + b·v + c, projecting and lifting returns the mean of a·u + b·v + c over the cameras that see the point")
@given(geometry=cameras(), a=st.integers(-3, 3), b=st.integers(-3, 3), c=st.integers(-5, 5))
def linear_features_are_reproduced(sol, geometry, a, b, c):
    points, intrinsics, extrinsics, (height, width) = geometry
    context(a=a, b=b, c=c)
    uv, _, valid = reference_project(points.double(), intrinsics.double(), extrinsics.double(), (height, width))
    rows, cols = torch.meshgrid(torch.arange(height, dtype=torch.float64), torch.arange(width, dtype=torch.float64), indexing="ij")
    plane = (a * cols + b * rows + c)[None, None].expand(len(intrinsics), 1, height, width).to(points.dtype).contiguous()
    out = sol.lift_features(plane, uv.to(points.dtype), valid)
    values = a * uv[..., 0] + b * uv[..., 1] + c
    expected = torch.where(valid, values, torch.zeros_like(values)).sum(0) / valid.sum(0).clamp(min=1)
    expect_close(out, expected[:, None], what="lifted linear feature", atol=1e-4, rtol=RTOL)
