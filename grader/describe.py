"""Short, readable renderings of the values a candidate's function was called with.

A failing example is shown in the exercise's own terms: a few boxes as nested lists, not a raw
tensor dump of a thousand rows. A small value is written so that pasting it into Python rebuilds it
exactly: every float in its shortest round-tripping form (for its own precision), an empty tensor
with its shape. Messages about values (``number``) round to 6 digits instead, for reading.
"""

from __future__ import annotations

import math
from typing import Any

MAX_ELEMENTS = 48
MAX_SEQUENCE = 8


def number(x: float) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if math.isnan(x) or math.isinf(x):
        return repr(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def exact(x: Any, single: bool = False) -> str:
    """``x`` as Python source that evaluates to exactly ``x``; ``single``: the shortest text that
    rounds to the same float32, which is all a float32 tensor needs."""
    if isinstance(x, bool) or isinstance(x, int) or not isinstance(x, float):
        return repr(x)
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "-float('inf')"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    if single:
        import numpy as np

        return str(np.float32(x))
    return repr(x)


def _nested(values: Any, single: bool = False) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v, single) for v in values) + "]"
    return exact(values, single)


def describe(value: Any) -> str:
    """A one-line rendering that a candidate can read and paste into Python."""
    try:
        import torch
    except ImportError:  # pragma: no cover - the worker always has torch
        torch = None
    if torch is not None and isinstance(value, torch.Tensor):
        dtype = str(value.dtype)
        single = value.dtype in (torch.float32, torch.float16, torch.bfloat16)
        if value.numel() == 0:
            return f"torch.zeros({tuple(value.shape)}, dtype={dtype})"
        if value.numel() <= MAX_ELEMENTS:
            body = _nested(value.detach().cpu().tolist(), single)
            return f"torch.tensor({body}, dtype={dtype})"
        shape = tuple(value.shape)
        if value.is_floating_point() or value.dtype == torch.bool:
            finite = value.detach().float()
            return f"<tensor shape={shape} dtype={dtype} min={number(finite.min().item())} max={number(finite.max().item())}>"
        return f"<tensor shape={shape} dtype={dtype} min={value.min().item()} max={value.max().item()}>"
    if torch is not None and isinstance(value, torch.nn.Module):
        return repr(value).replace("\n", " ")
    if hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype"):
        import numpy as np

        array = np.asarray(value)
        if array.size == 0:
            return f"np.zeros({array.shape}, dtype=np.{array.dtype})"
        if array.size <= MAX_ELEMENTS:
            return f"np.array({_nested(array.tolist(), array.dtype == np.float32)}, dtype=np.{array.dtype})"
        return f"<ndarray shape={array.shape} dtype={array.dtype}>"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else exact(value)  # repr keeps 1.0 a float
    if isinstance(value, (list, tuple)):
        items = [describe(v) for v in value[:MAX_SEQUENCE]]
        if len(value) > MAX_SEQUENCE:
            items.append(f"... {len(value) - MAX_SEQUENCE} more")
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ",)" if len(value) == 1 else ")")
        return open_ + ", ".join(items) + close
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items()) + "}"
    return repr(value)


def describe_call(name: str, args: tuple, kwargs: dict, parameters: list[str] | None = None) -> str:
    parts = []
    for i, arg in enumerate(args):
        label = parameters[i] + "=" if parameters and i < len(parameters) else ""
        parts.append(label + describe(arg))
    parts += [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"
