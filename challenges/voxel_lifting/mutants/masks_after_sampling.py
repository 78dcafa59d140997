"""Samples every (camera, point) pair with clamped coordinates and multiplies by the valid mask
afterwards. That is fine for finite garbage, but invalid entries may carry NaN uv, and NaN · 0 is
still NaN: it leaks into the average.

Breaks: invalid_uv_ignored
"""

import torch

MIN_DEPTH = 1e-6


def project_points(points, intrinsics, extrinsics, image_size):
    height, width = image_size
    homogeneous = torch.cat([points, torch.ones(len(points), 1, dtype=points.dtype)], 1)
    camera = torch.einsum("vij,pj->vpi", extrinsics.to(points.dtype), homogeneous)[..., :3]
    pixels = torch.einsum("vij,vpj->vpi", intrinsics.to(points.dtype), camera)
    depth = camera[..., 2]
    uv = pixels[..., :2] / depth.clamp(min=MIN_DEPTH)[..., None]
    u, v = uv[..., 0], uv[..., 1]
    valid = (depth > MIN_DEPTH) & (u >= 0) & (u <= width - 1) & (v >= 0) & (v <= height - 1)
    return uv, depth, valid


def lift_features(features, uv, valid):
    views, channels, height, width = features.shape
    uv = uv.to(features.dtype)
    u = uv[..., 0].clamp(0, width - 1)
    v = uv[..., 1].clamp(0, height - 1)
    u0 = u.floor().long().clamp(0, width - 1)
    v0 = v.floor().long().clamp(0, height - 1)
    u1 = (u0 + 1).clamp(max=width - 1)
    v1 = (v0 + 1).clamp(max=height - 1)
    du, dv = (u - u0)[:, None], (v - v0)[:, None]
    cam = torch.arange(views)[:, None]
    f = features.permute(0, 2, 3, 1)  # (V, H, W, C)
    top = f[cam, v0, u0] * (1 - du.transpose(1, 2)) + f[cam, v0, u1] * du.transpose(1, 2)
    bottom = f[cam, v1, u0] * (1 - du.transpose(1, 2)) + f[cam, v1, u1] * du.transpose(1, 2)
    samples = top * (1 - dv.transpose(1, 2)) + bottom * dv.transpose(1, 2)  # (V, P, C)
    mask = valid[..., None].to(features.dtype)
    return (samples * mask).sum(0) / mask.sum(0).clamp(min=1)
