"""Adapters: the candidate's functions as every suite sees them, torch tensors in and out.

Numba and C++ solutions work on NumPy arrays. The adapter hands them zero-copy views of the
suite's CPU tensors (so writing into an input is still seen by the guard) and wraps what they
return back into tensors. A challenge whose calling convention is not this (CUDA kernels taking
device pointers) ships its own ``adapter.py`` with ``adapt(functions) -> functions``.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any, Callable

# Imported here, not in the functions: they run inside the candidate's calls, where an import of a
# module the exercise forbids (some forbid torch) would trip the box's import guard.
import numpy as np
import torch


def to_numpy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        if value.device.type != "cpu":
            raise TypeError("this track runs on the CPU; got a tensor on " + str(value.device))
        return value.detach().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(v) for v in value)
    return value


def to_torch(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    if isinstance(value, tuple):
        return tuple(to_torch(v) for v in value)
    if isinstance(value, list):
        return [to_torch(v) for v in value]
    return value


def numpy_adapter(fn: Callable) -> Callable:
    @functools.wraps(getattr(fn, "py_func", fn))
    def call(*args, **kwargs):
        return to_torch(fn(*to_numpy(args), **{k: to_numpy(v) for k, v in kwargs.items()}))

    return call


def adapt(functions: dict[str, Callable], folder: Path | None) -> dict[str, Callable]:
    """The challenge's own adapter (``folder/adapter.py``) when it has one, else the NumPy adapter."""
    custom = folder / "adapter.py" if folder is not None else None
    if custom is not None and custom.is_file():
        spec = importlib.util.spec_from_file_location("cvg_adapter", custom)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.adapt(functions)
    return {name: numpy_adapter(fn) for name, fn in functions.items()}
