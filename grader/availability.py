"""Which tracks can run here, decided without importing torch (``grader list`` stays fast)."""

from __future__ import annotations

import importlib.util
import os
import shutil


def gpu_present() -> bool:
    return os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl") and shutil.which("nvidia-smi") is not None


def skip_reason(track: str) -> str | None:
    """Why a track cannot be graded on this machine, or None when it can."""
    if track in ("numba", "numba-cuda") and importlib.util.find_spec("numba") is None:
        return "numba is not installed (pip install numba)"
    if track in ("cpp", "cuda") and shutil.which("cmake") is None:
        return "cmake not found: compiled tracks need CMake 3.24 or newer (pip install cmake)"
    if track == "cpp" and shutil.which("c++") is None and shutil.which("g++") is None:
        return "no C++ compiler found"
    if track == "cuda" and shutil.which("nvcc") is None:
        return "nvcc not found: CUDA challenges need the CUDA toolkit"
    return None
