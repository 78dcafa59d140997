"""Treats the extrinsics as the camera pose (camera-to-world) and inverts it: a world-to-camera
matrix used the wrong way round moves every camera to the mirrored place.

Breaks: project_worked_example
"""

import torch

MIN_DEPTH = 1e-6


def project_points(points: torch.Tensor, intrinsics: torch.Tensor, extrinsics: torch.Tensor,
                   image_size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Project world points (P, 3) into V pinhole cameras.

    ``intrinsics`` (V, 3, 3) map camera coordinates to pixels; ``extrinsics`` (V, 4, 4) map world to
    camera coordinates (x right, y down, z forward). ``image_size`` is (H, W). Pixel centres sit at
    integer coordinates, so the image spans u in [0, W - 1] and v in [0, H - 1].

    Returns ``uv`` (V, P, 2) as (u, v) = (column, row), ``depth`` (V, P) = camera z, both in the
    points' dtype, and ``valid`` (V, P) bool: depth > 1e-6 and the pixel inside the image. Where the
    depth is not positive, uv comes from dividing by 1e-6 instead: finite, and never used.
    """
    height, width = image_size
    ones = torch.ones(points.shape[0], 1, dtype=points.dtype)
    homogeneous = torch.cat([points, ones], dim=1)  # (P, 4)
    camera = torch.einsum("vij,pj->vpi", torch.linalg.inv(extrinsics.to(points.dtype)), homogeneous)[..., :3]  # (V, P, 3)
    pixels = torch.einsum("vij,vpj->vpi", intrinsics.to(points.dtype), camera)  # (V, P, 3)
    depth = camera[..., 2]
    uv = pixels[..., :2] / depth.clamp(min=MIN_DEPTH)[..., None]
    u, v = uv[..., 0], uv[..., 1]
    valid = (depth > MIN_DEPTH) & (u >= 0) & (u <= width - 1) & (v >= 0) & (v <= height - 1)
    return uv, depth, valid


def lift_features(features: torch.Tensor, uv: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Average over cameras the bilinear samples of ``features`` (V, C, H, W) at ``uv`` (V, P, 2).

    Only entries where ``valid`` (V, P) holds are sampled (their uv lie inside the image, pixel
    centres at integer coordinates, i.e. align_corners=True); the uv of the other entries are never
    read. Points seen by no camera get zeros. Returns (P, C) in the features' dtype.
    """
    num_views, channels, height, width = features.shape
    num_points = uv.shape[1]
    total = torch.zeros(num_points, channels, dtype=features.dtype)
    seen = torch.zeros(num_points, dtype=features.dtype)
    for view in range(num_views):
        idx = valid[view].nonzero().flatten()
        if idx.numel() == 0:
            continue
        u = uv[view, idx, 0].to(features.dtype)
        v = uv[view, idx, 1].to(features.dtype)
        u0 = u.floor().long().clamp(0, width - 1)
        v0 = v.floor().long().clamp(0, height - 1)
        u1 = (u0 + 1).clamp(max=width - 1)
        v1 = (v0 + 1).clamp(max=height - 1)
        du = (u - u0.to(u.dtype))[:, None]
        dv = (v - v0.to(v.dtype))[:, None]
        image = features[view]  # (C, H, W)
        top = image[:, v0, u0].T * (1 - du) + image[:, v0, u1].T * du
        bottom = image[:, v1, u0].T * (1 - du) + image[:, v1, u1].T * du
        total[idx] += top * (1 - dv) + bottom * dv
        seen[idx] += 1
    return torch.where(seen[:, None] > 0, total / seen.clamp(min=1)[:, None], torch.zeros_like(total))
