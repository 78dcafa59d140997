"""Torch-facing entry points of the compiled kernels: validate, then dispatch by device.

``box_iou`` and ``nms`` follow ``reference.ops.box_iou`` / ``reference.ops.nms`` exactly (the
readable specification): same IoU arithmetic in the input dtype, same greedy order, same strict
``>`` comparison, so NMS indices are identical and IoU values agree to rounding (bit-identical on
CPU in practice).

Input rules (checked before any work; a ValueError/TypeError names the offending argument):

* every box argument is a ``torch.Tensor`` of shape (N, 4) ``x1, y1, x2, y2``, float32 or float64,
  contiguous (nothing is copied silently: call ``.contiguous()`` yourself), finite;
* ``box_iou``: both box tensors share dtype and device;
* ``nms``: ``scores`` is a finite (N,) tensor of the *same dtype* as ``boxes`` (as in
  torchvision) on the same device; ``iou_threshold`` is a real number in [0, 1] (bool refused).

CPU tensors go to the C++ kernels through zero-copy NumPy views; CUDA tensors go to the CUDA
kernels on the current stream, when the extension was built with them. The results carry no
autograd history.
"""

from __future__ import annotations

import importlib
import math
import numbers
from typing import Any

import torch

try:
    _C = importlib.import_module("reference._C")
except ImportError as _error:  # not built yet: reference.ops.* must keep working regardless
    _C = None
    _IMPORT_ERROR: ImportError | None = _error
else:
    _IMPORT_ERROR = None

__all__ = [
    "ExtensionNotBuiltError",
    "box_iou",
    "build_info",
    "cuda_built",
    "gpu_available",
    "nms",
]

_DTYPE_CODES = {torch.float32: 0, torch.float64: 1}
_SETUP_HINT = (
    "run the README's set-up, `bash scripts/setup.sh` "
    "(or `pip install --no-build-isolation -e .` in the repository root)"
)


class ExtensionNotBuiltError(ImportError, RuntimeError):
    """The compiled module ``reference._C`` is missing or failed to import."""


def _ext():
    if _C is None:
        raise ExtensionNotBuiltError(
            f"the compiled kernels (reference._C) are not available ({_IMPORT_ERROR}); "
            f"{_SETUP_HINT}. The readable references in reference.ops work without them."
        ) from _IMPORT_ERROR
    return _C


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _check_tensor(t: Any, name: str) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(t).__name__}")
    if t.device.type not in ("cpu", "cuda"):
        raise ValueError(f"{name}: expected a cpu or cuda tensor, got device {t.device}")


def _check_finite(t: torch.Tensor, name: str) -> None:
    if t.numel() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name}: contains NaN or inf; every value must be finite")


def _check_contiguous(t: torch.Tensor, name: str) -> None:
    if not t.is_contiguous():
        raise ValueError(
            f"{name}: expected a contiguous tensor (strides {tuple(t.stride())}); "
            f"call {name}.contiguous() first, the kernels do not copy silently"
        )


def _check_boxes(t: Any, name: str) -> None:
    _check_tensor(t, name)
    if t.dtype not in _DTYPE_CODES:
        raise TypeError(f"{name}: expected dtype torch.float32 or torch.float64, got {t.dtype}")
    if t.dim() != 2 or t.shape[1] != 4:
        raise ValueError(
            f"{name}: expected shape (N, 4) of x1, y1, x2, y2, got {tuple(t.shape)}"
        )
    _check_contiguous(t, name)
    _check_finite(t, name)


def _check_same(t: torch.Tensor, name: str, ref: torch.Tensor, ref_name: str) -> None:
    if t.dtype != ref.dtype:
        raise TypeError(f"{name}: expected dtype {ref.dtype} like {ref_name}, got {t.dtype}")
    if t.device != ref.device:
        raise ValueError(f"{name}: expected device {ref.device} like {ref_name}, got {t.device}")


def _check_threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"iou_threshold: expected a real number in [0, 1], got {type(value).__name__}"
        )
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"iou_threshold: expected a real number in [0, 1], got {value}")
    return value


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """IoU (N, M) of every box in ``boxes1`` (N, 4) with every box in ``boxes2`` (M, 4).

    Same semantics as ``reference.ops.box_iou.box_iou``; result in the input dtype and device.
    """
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    _check_same(boxes2, "boxes2", boxes1, "boxes1")
    ext = _ext()
    if boxes1.device.type == "cuda":
        return _box_iou_cuda(ext, boxes1, boxes2)
    out = ext.box_iou_cpu(boxes1.detach().numpy(), boxes2.detach().numpy())
    return torch.from_numpy(out)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices (int64) of the boxes greedy NMS keeps, in the order kept.

    Same semantics as ``reference.ops.nms.nms``: visit by descending score (ties: lower index
    first), drop a box whose IoU with an already kept box is strictly greater than
    ``iou_threshold``. ``scores`` must have the boxes' dtype.
    """
    _check_boxes(boxes, "boxes")
    _check_tensor(scores, "scores")
    _check_same(scores, "scores", boxes, "boxes")
    if scores.dim() != 1 or scores.shape[0] != boxes.shape[0]:
        raise ValueError(
            f"scores: expected shape ({boxes.shape[0]},), one score per box, "
            f"got {tuple(scores.shape)}"
        )
    _check_contiguous(scores, "scores")
    _check_finite(scores, "scores")
    threshold = _check_threshold(iou_threshold)
    ext = _ext()
    if boxes.device.type == "cuda":
        return _nms_cuda(ext, boxes, scores, threshold)
    keep = ext.nms_cpu(boxes.detach().numpy(), scores.detach().numpy(), threshold)
    return torch.from_numpy(keep)


# --------------------------------------------------------------------------------------------
# CUDA dispatch
# --------------------------------------------------------------------------------------------


def _require_cuda_kernels(ext) -> None:
    if not ext.cuda_built():
        raise RuntimeError(
            "got CUDA tensors, but reference._C was built without its CUDA kernels (no nvcc "
            "was found, or CVG_CUDA=OFF). Rebuild with `CVG_CUDA=ON pip install "
            "--no-build-isolation -e .` on a machine with the CUDA toolkit, or move the "
            "tensors to the CPU with .cpu()."
        )


def _box_iou_cuda(ext, boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    _require_cuda_kernels(ext)
    n, m = boxes1.shape[0], boxes2.shape[0]
    device = boxes1.device
    out = torch.empty((n, m), dtype=boxes1.dtype, device=device)
    with torch.cuda.device(device):
        stream = torch.cuda.current_stream(device).cuda_stream
        ext.box_iou_cuda(
            device.index, boxes1.data_ptr(), n, boxes2.data_ptr(), m, out.data_ptr(),
            _DTYPE_CODES[boxes1.dtype], stream,
        )
    return out


def _nms_cuda(ext, boxes: torch.Tensor, scores: torch.Tensor, threshold: float) -> torch.Tensor:
    _require_cuda_kernels(ext)
    n = boxes.shape[0]
    device = boxes.device
    if n == 0:
        return torch.empty(0, dtype=torch.int64, device=device)
    with torch.cuda.device(device):
        order = torch.sort(scores.detach(), descending=True, stable=True).indices
        sorted_boxes = boxes.detach()[order].contiguous()
        words = ext.nms_mask_words(n)
        mask = torch.empty(n * words, dtype=torch.int64, device=device)
        removed = torch.empty(words, dtype=torch.int64, device=device)
        keep = torch.empty(n, dtype=torch.int64, device=device)
        count = torch.empty(1, dtype=torch.int64, device=device)
        stream = torch.cuda.current_stream(device).cuda_stream
        ext.nms_cuda(
            device.index, sorted_boxes.data_ptr(), n, threshold, _DTYPE_CODES[boxes.dtype],
            mask.data_ptr(), removed.data_ptr(), keep.data_ptr(), count.data_ptr(), stream,
        )
        kept = int(count.item())  # waits for the stream
        return order[keep[:kept]]


# --------------------------------------------------------------------------------------------
# Build information
# --------------------------------------------------------------------------------------------


def cuda_built() -> bool:
    """True when reference._C was compiled with its CUDA kernels."""
    return _C is not None and bool(_C.cuda_built())


def gpu_available() -> bool:
    """True when the CUDA kernels are built and torch and the extension both see a GPU."""
    return cuda_built() and torch.cuda.is_available() and _C.cuda_device_count() > 0


def build_info() -> dict[str, Any]:
    """What was built and what this machine offers, for bug reports and test skips."""
    info: dict[str, Any] = {
        "extension_built": _C is not None,
        "extension_path": getattr(_C, "__file__", None),
        "import_error": None if _IMPORT_ERROR is None else str(_IMPORT_ERROR),
        "cuda_built": cuda_built(),
        "cuda_device_count": int(_C.cuda_device_count()) if _C is not None else 0,
        "gpu_available": gpu_available(),
        "openmp": bool(_C.openmp_enabled()) if _C is not None else False,
        "openmp_threads": int(_C.openmp_threads()) if _C is not None else 0,
        "torch_version": torch.__version__,
        "torch_cuda": torch.version.cuda,
    }
    return info
