"""Projecting 3D points into cameras and lifting image features onto them. See README.md in this folder for the full statement."""

import torch


def project_points(points: torch.Tensor, intrinsics: torch.Tensor, extrinsics: torch.Tensor,
                   image_size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Project world points (P, 3) into V cameras: intrinsics (V, 3, 3), world-to-camera extrinsics (V, 4, 4).

    ``image_size`` is (H, W); pixel centres are at integer coordinates. Return ``uv`` (V, P, 2) as
    (u, v) = (column, row) and ``depth`` (V, P), both in the points' dtype, and ``valid`` (V, P) bool:
    depth > 1e-6 and 0 <= u <= W - 1 and 0 <= v <= H - 1. uv must be finite everywhere. Do not modify
    the inputs.
    """
    raise NotImplementedError("project_points: write your solution here")


def lift_features(features: torch.Tensor, uv: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Sample ``features`` (V, C, H, W) bilinearly at ``uv`` (V, P, 2) (align_corners=True) where ``valid``
    (V, P) holds, and average over those cameras; zeros for a point no camera sees.

    Return (P, C) in the features' dtype. The uv of invalid entries may be anything (even NaN) and
    must not be read. Do not modify the inputs.
    """
    raise NotImplementedError("lift_features: write your solution here")
