"""What a property suite is written with.

A suite (``grader/suites/<op>.py``) declares properties of one op. Each property receives ``sol``,
the candidate's functions as remote calls into their box (``grader.remote.Solution``), and checks
one rule with the helpers below on plain tensors the judge rebuilt from data. Every call into
``sol`` is guarded: its arguments are compared with what the box saw after the call (the universal
"inputs are left unchanged" property), a stub's ``NotImplementedError`` becomes "not started", and
anything else it raises is reported with its place in the candidate's file.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.describe import describe, describe_call, number

INPUTS_UNCHANGED = "inputs_unchanged"


class PropertyFailure(AssertionError):
    """A property does not hold; ``prop`` names it when it differs from the running one."""

    def __init__(self, message: str, prop: str | None = None):
        super().__init__(message)
        self.message = message
        self.prop = prop


class NotStarted(Exception):
    def __init__(self, function: str):
        super().__init__(f"{function} is not implemented yet (it raises NotImplementedError)")
        self.function = function


class CandidateRaised(Exception):
    """The candidate's code raised; ``original`` is what it raised, ``where`` its place in their file."""

    def __init__(self, function: str, original: BaseException, where: str):
        text = f"{function} raised {type(original).__name__}: {original}"
        super().__init__(text + (f" (at {where})" if where else ""))
        self.function = function
        self.original = original
        self.where = where


class CandidateAborted(BaseException):
    """The candidate's code did something no further example can recover from (exhausted memory,
    called sys.exit). A BaseException, so hypothesis stops at once instead of shrinking."""

    def __init__(self, function: str, reason: str):
        super().__init__(f"{function} {reason}")
        self.function = function


@dataclass
class Property:
    id: str
    description: str
    test: Callable
    tracks: tuple[str, ...] | None = None


@dataclass
class Suite:
    """The properties of one op, shared by every track of that op."""

    name: str
    properties: list[Property] = field(default_factory=list)
    benchmark: Any = None  # a grader.timing.Benchmark when the op is graded or reported on speed
    memory_benchmark: Any = None  # a grader.memory declaration when the op is graded on peak memory

    def property(self, description: str, *, tracks: tuple[str, ...] | None = None):
        """Register a property; its id is the function's name, ``description`` says it in plain words."""

        def register(fn: Callable) -> Callable:
            target = getattr(fn, "hypothesis", None)
            if target is not None:
                target.inner_test = _fresh_example(target.inner_test)
                test = fn
            else:
                test = _fresh_example(fn)
            self.properties.append(Property(fn.__name__, description, test, tracks))
            return fn

        return register


# --- the log of the current example, shown when it is the minimal failing one -------------------

_EXAMPLE: list[str] = []


def _fresh_example(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def run(*args, **kwargs):
        _EXAMPLE.clear()
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            exc.cvg_example = list(_EXAMPLE)  # type: ignore[attr-defined]
            raise

    return run


def context(**values: Any) -> None:
    """Record named values of the example (a threshold, a seed) for the failure report."""
    for name, value in values.items():
        _EXAMPLE.append(f"{name} = {describe(value)}")


# --- guarded calls into the candidate's code ----------------------------------------------------


def _snapshot(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, torch.nn.Module):
        return (value.training, {k: v.detach().clone() for k, v in value.state_dict().items()})
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value) if isinstance(value, list) else tuple(_snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def _same_tensor(before, after) -> bool:
    import torch

    if before.shape != after.shape or before.dtype != after.dtype:
        return False
    if before.is_floating_point():
        return bool(torch.equal(before.isnan(), after.isnan()) and torch.equal(before.nan_to_num(0.0), after.nan_to_num(0.0)))
    return bool(torch.equal(before, after))


def _changed(before: Any, after: Any) -> str | None:
    """Where ``after`` differs from its snapshot ``before``, or None."""
    import torch

    if isinstance(after, torch.Tensor):
        return None if _same_tensor(before, after.detach()) else "its values, shape or dtype changed"
    if isinstance(after, torch.nn.Module):
        training, state = before
        if after.training != training:
            return f"its training flag went from {training} to {after.training}"
        now = after.state_dict()
        added = sorted(set(now) - set(state))
        if added:
            return f"it gained {', '.join(added)}"
        for key, value in state.items():
            if key not in now or not _same_tensor(value, now[key].detach()):
                return f"its {key} changed"
        return None
    if isinstance(after, (list, tuple)):
        if len(after) != len(before):
            return "its length changed"
        for i, (b, a) in enumerate(zip(before, after)):
            why = _changed(b, a)
            if why:
                return f"item {i}: {why}"
        return None
    if isinstance(after, dict):
        for key in before:
            why = _changed(before[key], after.get(key))
            if why:
                return f"[{key!r}]: {why}"
        return None
    try:
        return None if before == after else "its value changed"
    except Exception:
        return None


def guard(name: str, call: Callable, parameters: list[str] | None = None) -> Callable:
    """Wrap a call into the candidate's box so every call is logged and checked.

    ``call(args, kwargs)`` returns the result with the arguments as the box saw them afterwards, or
    raises NotStarted, CandidateRaised or CandidateAborted; an argument that came back changed is
    the universal "inputs are left unchanged" failure.
    """

    def wrapped(*args, **kwargs):
        _EXAMPLE.append("call: " + describe_call(name, args, kwargs, parameters))
        before = (_snapshot(args), _snapshot(kwargs))
        returned = call(args, kwargs)
        for i, (b, a) in enumerate(zip(before[0], returned.args)):
            why = _changed(b, a)
            if why:
                label = parameters[i] if parameters and i < len(parameters) else f"argument {i + 1}"
                raise PropertyFailure(f"{name} modified its argument {label} in place: {why}", prop=INPUTS_UNCHANGED)
        for key in kwargs:
            why = _changed(before[1][key], returned.kwargs.get(key))
            if why:
                raise PropertyFailure(f"{name} modified its argument {key} in place: {why}", prop=INPUTS_UNCHANGED)
        return returned.value

    wrapped.__name__ = name
    return wrapped


# --- expectations ---------------------------------------------------------------------------------


def fail(message: str) -> None:
    raise PropertyFailure(message)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise PropertyFailure(message)


def expect_tensor(value: Any, *, what: str, dtype=None, shape: tuple | None = None) -> None:
    """The output contract: a tensor of the expected dtype and shape."""
    import torch

    if not isinstance(value, torch.Tensor):
        fail(f"{what} should return a torch.Tensor, got {type(value).__name__}: {describe(value)}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        fail(f"{what} should have shape {tuple(shape)}, got {tuple(value.shape)}")
    if dtype is not None and value.dtype != dtype:
        fail(f"{what} should have dtype {dtype}, got {value.dtype}")


def expect_close(actual, expected, *, what: str, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Elementwise |actual - expected| <= atol + rtol·|expected|, NaN only where expected is NaN."""
    import torch

    expected = torch.as_tensor(expected)
    actual = torch.as_tensor(actual)
    if actual.shape != expected.shape:
        fail(f"{what}: expected shape {tuple(expected.shape)}, got {tuple(actual.shape)}")
    a = actual.detach().double().cpu()
    e = expected.detach().double().cpu()
    bad = ~((a - e).abs() <= atol + rtol * e.abs())
    bad &= ~(a.isnan() & e.isnan())
    if bool(bad.any()):
        where = [tuple(i) for i in bad.nonzero().tolist()]
        first = where[0]
        at = f"[{', '.join(map(str, first))}]" if first else ""
        more = f" (and {len(where) - 1} more entries)" if len(where) > 1 else ""
        fail(
            f"{what}: at {at or 'the value'} expected {number(e[first].item())}, got {number(a[first].item())}{more}; "
            f"tolerance {atol:g} + {rtol:g}·|expected|"
        )


def expect_equal(actual, expected, *, what: str) -> None:
    """Exact equality, with both sides shown."""
    import torch

    if isinstance(expected, torch.Tensor) or isinstance(actual, torch.Tensor):
        same = (
            isinstance(actual, torch.Tensor)
            and isinstance(expected, torch.Tensor)
            and actual.shape == expected.shape
            and bool(torch.equal(actual.cpu().to(expected.dtype), expected.cpu()))
        )
    else:
        same = actual == expected
    if not same:
        fail(f"{what}: expected {describe(expected)}, got {describe(actual)}")


def expect_raises(exc_type: type[BaseException], fn: Callable, *args, what: str, **kwargs) -> BaseException:
    """``fn(*args, **kwargs)`` must raise ``exc_type`` (seen through the guard)."""
    try:
        fn(*args, **kwargs)
    except CandidateRaised as exc:
        if isinstance(exc.original, exc_type):
            return exc.original
        fail(f"{what}: expected {exc_type.__name__}, but it raised {type(exc.original).__name__}: {exc.original}")
    fail(f"{what}: expected {exc_type.__name__}, but it returned normally")
    raise AssertionError("unreachable")
