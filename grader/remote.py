"""The judge's side of a box: requests out, data back, and the candidate's functions as suites see them.

``Box`` talks to one box process and controls it from outside (stop, continue, read its memory and
its peak resident set from ``/proc``). ``Solution`` gives a suite the candidate's functions: each
call sends the arguments as data, gets the result back as plain tensors and builtins, compares the
arguments the box echoes back (the universal "inputs are left unchanged" property), and, when the
result requires grad, attaches it to the judge's autograd graph through a function whose backward
asks the box for the gradients.
"""

from __future__ import annotations

import builtins
import ctypes
import inspect
import os
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

from grader import wire
from grader.suite import CandidateAborted, CandidateRaised, NotStarted, PropertyFailure, guard
from grader.wire import Kind, Message, Outcome

ACCEPTED = "tensors, arrays, numbers, strings, None, lists, tuples, dicts and torch.nn modules"


class BoxGone(BaseException):
    """The box process ended (crashed, exited, was killed, or was stopped for breaking the protocol).
    A BaseException: nothing can be retried. ``status`` is the verdict it leads to."""

    def __init__(self, message: str, status: str = "crashed"):
        super().__init__(message)
        self.message = message
        self.status = status


class ForbiddenUsed(BaseException):
    """The box reported a forbidden module or function in use: grading stops with that verdict."""


class _IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Loaded:
    functions: dict[str, list[str]]
    confinement: dict  # as the box reported it before the solution was imported


class Box:
    """One box process, seen from the judge (its parent)."""

    def __init__(self, pid: int, to_box: int, from_box: int, label: str):
        self.pid, self.to_box, self.from_box, self.label = pid, to_box, from_box, label
        self.status: int | None = None
        self.loaded: Loaded | None = None
        self.stopped = False

    # --- lifetime ---
    def wait_loaded(self, timeout_s: float) -> Loaded:
        """The box's LOADED report; LoadFailed with the verdict if the solution could not be loaded."""
        if self.loaded is not None:
            return self.loaded
        deadline = time.monotonic() + timeout_s
        confined = self.receive(timeout_s)
        if confined.kind is Kind.RAISED and confined.fields.get("outcome") == Outcome.LOAD_ERROR.value:
            raise LoadFailed(str(confined.fields.get("message", "")), str(confined.fields.get("status", "error")))
        if confined.kind is not Kind.CONFINED or type(confined.fields.get("confinement")) is not dict:
            raise BoxGone(f"the {self.label} process did not report its confinement first")
        reply = self.receive(max(0.0, deadline - time.monotonic()))
        if reply.kind is Kind.RAISED and reply.fields.get("outcome") == Outcome.LOAD_ERROR.value:
            raise LoadFailed(str(reply.fields.get("message", "")), str(reply.fields.get("status", "error")))
        if reply.kind is not Kind.LOADED:
            raise BoxGone(f"the {self.label} process answered {reply.kind.value} before it had loaded")
        functions = reply.fields.get("functions")
        if type(functions) is not dict or not all(type(v) is list and all(type(p) is str for p in v)
                                                   for v in functions.values()):
            raise BoxGone(f"the {self.label} process reported malformed functions")
        self.loaded = Loaded(functions, confined.fields["confinement"])
        return self.loaded

    def alive(self) -> bool:
        if self.status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.status = status
            return False
        return True

    def kill(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                _, self.status = os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                self.status = self.status if self.status is not None else 0
        for fd in (self.to_box, self.from_box):
            try:
                os.close(fd)
            except OSError:
                pass
        self.to_box = self.from_box = -1

    def gone(self) -> BoxGone:
        """What became of a box whose pipe closed."""
        if self.status is None:
            try:
                _, self.status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                self.status = 0
        if os.WIFSIGNALED(self.status):
            number = os.WTERMSIG(self.status)
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = "unknown signal"
            return BoxGone(f"the solution's process was killed by signal {number} ({name})")
        return BoxGone(f"the solution's process exited with status {os.WEXITSTATUS(self.status)} before grading "
                       "finished (does the solution call os._exit or quit?)")

    # --- messages ---
    def send(self, message: Message) -> None:
        self.send_chunks(wire.encode(message))

    def send_chunks(self, chunks: list) -> None:
        try:
            wire.send_chunks(self.to_box, chunks)
        except (BrokenPipeError, OSError):
            raise self.gone() from None

    def receive(self, timeout_s: float | None = None, inputs: list | None = None) -> Message:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        try:
            return wire.receive(self.from_box, deadline=deadline, inputs=inputs, limit=wire.MAX_REPLY_BYTES)
        except EOFError:
            raise self.gone() from None
        except wire.FrameError as exc:
            self.kill()
            raise BoxGone(f"the solution's process sent {exc}; it was stopped", status="failed") from None
        except TimeoutError:
            raise BoxGone(f"the {self.label} process did not answer within {timeout_s:g} s") from None

    def request(self, message: Message, inputs: list | None = None) -> Message:
        self.send(message)
        return self.receive(inputs=inputs)

    # --- control from outside ---
    def stop(self) -> None:
        """SIGSTOP, and wait until every thread of the box has stopped (the kernel reports a stop
        to the parent once, so a box already stopped is left as it is)."""
        if self.stopped:
            return
        os.kill(self.pid, signal.SIGSTOP)
        pid, status = os.waitpid(self.pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            self.status = status
            raise self.gone()
        self.stopped = True

    def cont(self) -> None:
        if self.stopped:
            os.kill(self.pid, signal.SIGCONT)
            self.stopped = False

    def read_memory(self, address: int, nbytes: int) -> bytearray:
        """Bytes from the (stopped) box's memory, read by the kernel: the box cannot alter them."""
        buffer = bytearray(nbytes)
        if nbytes == 0:
            return buffer
        local = _IOVec(ctypes.addressof((ctypes.c_char * nbytes).from_buffer(buffer)), nbytes)
        remote = _IOVec(address, nbytes)
        got = _libc.process_vm_readv(self.pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
        if got != nbytes:
            raise PropertyFailure(f"the timed output could not be read from the solution's process "
                                  f"({os.strerror(ctypes.get_errno()) if got < 0 else f'{got} of {nbytes} bytes'})")
        return buffer

    def status_kb(self, field: str) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

    def reset_peak(self) -> None:
        """Set the box's resident-set high-water mark to its current resident set."""
        with open(f"/proc/{self.pid}/clear_refs", "w") as clear:
            clear.write("5")


class LoadFailed(Exception):
    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.status = status


# --- what comes back from a call ------------------------------------------------------------------------


def _unsupported(value: Any) -> wire.Unsupported | None:
    if isinstance(value, wire.Unsupported):
        return value
    if isinstance(value, (list, tuple)):
        return next((u for u in map(_unsupported, value) if u is not None), None)
    if isinstance(value, dict):
        return next((u for u in map(_unsupported, value.values()) if u is not None), None)
    return None


_BUILTIN_ERRORS = {name: obj for name, obj in vars(builtins).items()
                   if isinstance(obj, type) and issubclass(obj, Exception)}


def rebuild_exception(types: list, message: str) -> Exception:
    """An exception of the candidate's type name whose base is the nearest builtin in its MRO, so a
    suite's ``expect_raises(ValueError, ...)`` sees a ValueError subclass raised as a ValueError."""
    names = [t for t in types if type(t) is str] or ["Exception"]
    base = next((_BUILTIN_ERRORS[n] for n in names if n in _BUILTIN_ERRORS), Exception)
    name = names[0] if names[0].isidentifier() and len(names[0]) <= 80 else base.__name__
    cls = base if name == base.__name__ else type(name, (base,), {"__module__": "solution"})
    try:
        return cls(message)
    except Exception:  # noqa: BLE001 - a builtin whose constructor wants more arguments
        return Exception(message)


def raise_outcome(name: str, fields: dict) -> None:
    outcome = fields.get("outcome")
    message = str(fields.get("message", ""))
    if outcome == Outcome.NOT_STARTED.value:
        raise NotStarted(name)
    if outcome == Outcome.FORBIDDEN.value:
        raise ForbiddenUsed(message)
    if outcome == Outcome.FATAL.value:
        raise CandidateAborted(name, message)
    if outcome == Outcome.WIRE.value:  # final: shrinking would only repeat a costly refusal
        raise BoxGone(f"{name} returned something the grader cannot take back ({message}); it accepts {ACCEPTED}",
                      status="failed")
    types = fields.get("types") if type(fields.get("types")) is list else []
    raise CandidateRaised(name, rebuild_exception(types, message), str(fields.get("where", "")))


class _Attach:
    """Builds the autograd Function lazily (torch is imported in the judge only when needed)."""

    function = None

    @classmethod
    def get(cls):
        if cls.function is None:
            import torch

            class Attach(torch.autograd.Function):
                @staticmethod
                def forward(ctx, link, *leaves):
                    ctx.link = link
                    outputs = tuple(t.detach().clone() for t in link.outputs)
                    ctx.mark_non_differentiable(*[o for o, d in zip(outputs, link.differentiable) if not d])
                    return outputs

                @staticmethod
                def backward(ctx, *grad_outputs):
                    return (None, *ctx.link.backward(grad_outputs))

            cls.function = Attach
        return cls.function


@dataclass
class _Link:
    box: Box
    handle: int
    outputs: list
    differentiable: list
    leaves: list
    name: str

    def backward(self, grad_outputs) -> list:
        import torch

        reply = self.box.request(Message(Kind.BACKWARD, {"handle": self.handle, "grads": list(grad_outputs)}))
        if reply.kind is Kind.RAISED:
            raise_outcome(self.name, reply.fields)
        grads = reply.fields.get("grads")
        if type(grads) is not list or len(grads) != len(self.leaves):
            raise PropertyFailure(f"backward through {self.name} gave {len(grads) if type(grads) is list else 'no'} "
                                  f"gradients for {len(self.leaves)} inputs")
        out = []
        for grad, leaf in zip(grads, self.leaves):
            if grad is not None and (not isinstance(grad, torch.Tensor) or grad.shape != leaf.shape):
                raise PropertyFailure(f"backward through {self.name} gave a gradient of shape "
                                      f"{tuple(getattr(grad, 'shape', ()))} for an input of shape {tuple(leaf.shape)}")
            out.append(None if grad is None else grad.to(leaf.dtype))
        return out


def _replace_tensors(value: Any, replacements: list) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return replacements.pop(0)
    if isinstance(value, list):
        return [_replace_tensors(v, replacements) for v in value]
    if isinstance(value, tuple):
        return tuple(_replace_tensors(v, replacements) for v in value)
    if isinstance(value, dict):
        return {k: _replace_tensors(v, replacements) for k, v in value.items()}
    return value


@dataclass
class Returned:
    value: Any
    args: tuple
    kwargs: dict


def remote_call(box: Box, name: str) -> Callable[[tuple, dict], Returned]:
    """One of the candidate's functions as ``call(args, kwargs) -> Returned``."""

    def call(args: tuple, kwargs: dict) -> Returned:
        import torch

        inputs = wire.input_tensors((list(args), kwargs))
        reply = box.request(Message(Kind.CALL, {"function": name, "args": list(args), "kwargs": kwargs, "echo": True}),
                            inputs=inputs)
        if reply.kind is Kind.RAISED:
            raise_outcome(name, reply.fields)
        if reply.kind is not Kind.RESULT:
            raise PropertyFailure(f"{name}: the solution's process answered {reply.kind.value} to a call")
        value = reply.fields.get("value")
        bad = _unsupported(value)
        if bad is not None:
            raise PropertyFailure(f"{name} returned {bad.what}; the grader takes back {ACCEPTED}")
        echoed_args, echoed_kwargs = reply.fields.get("args"), reply.fields.get("kwargs")
        if type(echoed_args) is not list or len(echoed_args) != len(args) or type(echoed_kwargs) is not dict:
            raise PropertyFailure(f"{name}: the solution's process did not return the arguments it was given")
        handle = reply.fields.get("handle")
        leaves = [t for t in inputs if t.requires_grad]
        if type(handle) is int and leaves and torch.is_grad_enabled():
            outputs = wire.direct_tensors(value)
            differentiable = reply.fields.get("differentiable")
            if type(differentiable) is list and len(differentiable) == len(outputs) and any(differentiable):
                link = _Link(box, handle, outputs, [d is True for d in differentiable], leaves, name)
                attached = list(_Attach.get().apply(link, *leaves))
                value = _replace_tensors(value, attached)
        return Returned(value, tuple(echoed_args), echoed_kwargs)

    return call


class Solution:
    """The candidate's functions by name, each a guarded remote call into the box."""

    def __init__(self, box: Box, functions: dict[str, list[str]], solution_file: str, track: str = "python"):
        self.track = track
        self.file = solution_file
        self.box = box
        self.raw: dict[str, Callable] = {}
        self._functions: dict[str, Callable] = {}
        for name, parameters in functions.items():
            call = remote_call(box, name)

            def plain(*args, _call=call, **kwargs):
                return _call(args, kwargs).value

            plain.__name__ = name
            plain.__signature__ = inspect.Signature(
                [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in parameters])
            self.raw[name] = plain
            self._functions[name] = guard(name, call, parameters)

    def __getattr__(self, name: str) -> Callable:
        try:
            return self.__dict__["_functions"][name]
        except KeyError:
            raise AttributeError(f"the solution has no function {name!r}") from None
