"""The box: the process where a candidate's code (or, for timing, the reference) runs.

The judge forks a box before it imports any suite or reference, so the box's memory holds only
torch, numpy and the grader's plumbing. The box confines itself (``grader.sandbox``: Landlock, no
new processes, no network, rlimits), installs the forbidden-API tripwires, loads the solution and
then only answers requests on its pipe: call a function, run backward on a kept graph, run a timed
call. Everything it sends is data (``grader.wire``); nothing in the judge trusts what it says beyond
the values themselves. Clocks, memory peaks and process lifetimes are read by the judge from outside.
"""

from __future__ import annotations

import enum
import os
import signal
import sys
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# Everything the box uses of the grader is imported here, before it is confined: afterwards it can
# read nothing of the project, and the tripwires take ``grader`` out of sys.modules.
from grader import adapters, sandbox, tripwires, wire
from grader.loading import LoadError
from grader.tripwires import ForbiddenUse
from grader.wire import Kind, Message, Outcome

KEPT_GRAPHS = 32  # graphs kept for backward requests; older ones are dropped
_TRIPWIRES = None  # the installed tripwires, in a candidate's box


class Role(str, enum.Enum):
    CANDIDATE = "candidate"
    REFERENCE = "reference"


@dataclass(frozen=True)
class BoxSpec:
    """Everything a box needs, fixed before it is forked: no seed, no token, no result channel."""

    role: Role
    track: str
    scratch: str  # the only place the box may write
    output_path: str  # where its stdout and stderr go
    # candidate: the solution file, what the stub declares (name -> parameter names), the forbidden APIs
    solution: str = ""
    expected: dict = field(default_factory=dict)
    forbidden: tuple[str, ...] = ()
    module: str = ""  # a compiled track's extension module, copied into scratch
    exports: tuple[str, ...] = ()
    adapter: str = ""  # a challenge's own adapter.py, copied into scratch
    # reference: which suite's references to serve
    project_root: str = ""
    suite: str = ""
    trusted: bool = False  # the project's own example: may read the project, no tripwires
    sandbox: bool = True
    memory_limit_mb: int | None = None
    cpu_limit_s: int | None = None
    gpu: bool = False
    measure_memory: bool = False  # a box for a peak-memory measurement: one thread, malloc returns pages


def start(spec: BoxSpec) -> tuple[int, int, int]:
    """Fork a box; returns (pid, fd to write requests to, fd to read replies from)."""
    to_box_r, to_box_w = os.pipe()
    from_box_r, from_box_w = os.pipe()
    output = os.open(spec.output_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            os.close(to_box_w)
            os.close(from_box_r)
            _main(spec, to_box_r, from_box_w, output)
            code = 0
        except BaseException:  # noqa: BLE001 - the box never returns into the judge's code
            import traceback

            traceback.print_exc()  # into the box's output, shown with the verdict
            code = 71
        finally:
            os._exit(code)
    os.close(to_box_r)
    os.close(from_box_w)
    os.close(output)
    return pid, to_box_w, from_box_r


# --- inside the box ---------------------------------------------------------------------------------


def _main(spec: BoxSpec, rfd: int, wfd: int, output: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the judge
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)
    os.dup2(output, 1)
    os.dup2(output, 2)
    keep = {rfd, wfd}
    for fd in _open_fds():
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    os.environ.update(TMPDIR=spec.scratch, HOME=spec.scratch, NUMBA_CACHE_DIR=spec.scratch)
    # tempfile reads TMPDIR once and caches the answer, and the forkserver that forked this box has
    # already asked (so has torch): without this, mkdtemp() would try /tmp, outside the
    # box's grants (``from numba import cuda`` calls it, seen on a GPU machine with numba-cuda).
    tempfile.tempdir = spec.scratch
    if spec.track == "numba-cuda" and not spec.gpu:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"  # before numba is first imported
    if spec.measure_memory:
        # Allocations of 128 KiB and up get pages of their own, returned on free (M_MMAP_THRESHOLD), so a
        # peak depends on the sizes allocated, not on what glibc kept from earlier frees.
        libc.mallopt(-3, 128 * 1024)
    import torch

    torch.set_num_threads(1)  # properties call on tiny tensors; timing asks for more threads
    os.chdir(spec.scratch)
    try:
        # Reported before the solution is imported: afterwards nothing the box says about itself
        # can be taken at its word.
        wire.send(wfd, Message(Kind.CONFINED, {"confinement": _confine(spec)}))
        functions, parameters = _load(spec)
    except LoadError as exc:
        wire.send(wfd, _raised(Outcome.LOAD_ERROR, str(exc), status=exc.status))
        return
    except BaseException as exc:  # noqa: BLE001 - the judge reports it; the box has nothing left to do
        wire.send(wfd, _raised(Outcome.LOAD_ERROR, f"the grader could not start the solution's process: "
                                                   f"{type(exc).__name__}: {exc}", status="error"))
        return
    wire.send(wfd, Message(Kind.LOADED, {"functions": parameters}))
    _Server(spec, functions).serve(rfd, wfd)


def _open_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 256))


def _confine(spec: BoxSpec) -> dict:
    if not spec.sandbox:
        return {"official": False, "reason": "the sandbox was turned off (CVG_SANDBOX=off)", "layers": []}
    hidden = [] if spec.trusted or spec.role is Role.REFERENCE else sandbox.project_paths(spec.project_root)
    read = list(sandbox.python_read_paths(exclude=hidden))
    if spec.trusted or spec.role is Role.REFERENCE:
        read.append(spec.project_root)
    if spec.solution:
        read.append(spec.solution)
    write = [spec.scratch, *(sandbox.gpu_write_paths() if spec.gpu else ())]
    memory = {"data_mb" if spec.gpu else "address_space_mb": spec.memory_limit_mb}
    policy = sandbox.Policy(read=tuple(read), write=tuple(write), processes=False, network=False,
                            cpu_s=spec.cpu_limit_s, **memory)
    applied = sandbox.confine(policy)
    return {"official": applied.official, "reason": applied.reason, "layers": list(applied.layers)}


def _load(spec: BoxSpec) -> tuple[dict[str, Callable], dict[str, list[str]]]:
    if spec.role is Role.REFERENCE:
        return _load_reference(spec)
    if not spec.trusted:
        global _TRIPWIRES
        _TRIPWIRES = tripwires.install(spec.forbidden, spec.solution or spec.module)
    if spec.track in ("cpp", "cuda"):
        functions = _load_compiled(spec)
    else:
        functions = _load_python(spec)
    # The candidate's own functions run as the candidate; the adapters around them (the grader's
    # conversions to and from NumPy or device pointers) do not.
    functions = {name: _as_candidate(fn) for name, fn in functions.items()}
    if spec.track != "python":
        functions = adapters.adapt(functions, Path(spec.adapter).parent if spec.adapter else None)
    return functions, {name: _parameters(fn) for name, fn in functions.items()}


def _parameters(fn: Callable) -> list[str]:
    import inspect

    try:
        return list(inspect.signature(getattr(fn, "py_func", fn)).parameters)
    except (TypeError, ValueError):
        return []


def _load_reference(spec: BoxSpec):
    """The suite's references for timing and memory, run in a box like the candidate's."""
    from grader import suites

    suite = suites.load(spec.project_root, spec.suite)
    functions = {}
    if suite.benchmark is not None:
        functions["speed"] = suite.benchmark.reference_for(spec.track)
    if suite.memory_benchmark is not None:
        functions["memory"] = suite.memory_benchmark.reference
        if suite.memory_benchmark.scalable_reference is not None:
            functions["memory-at-scale"] = suite.memory_benchmark.scalable_reference
    return functions, {name: _parameters(fn) for name, fn in functions.items()}


def _load_python(spec: BoxSpec) -> dict[str, Callable]:
    import importlib.util
    import inspect

    path = spec.solution
    module_spec = importlib.util.spec_from_file_location("cvg_solution", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["cvg_solution"] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 - a solution that cannot be imported is an error verdict
        raise _import_error(path, exc) from None
    functions = {}
    for name, wanted in spec.expected.items():
        candidate = getattr(module, name, None)
        if not callable(candidate):
            raise LoadError(f"{path}: no function {wanted['text']}; the stub defines it and the grader calls it")
        try:
            have = list(inspect.signature(getattr(candidate, "py_func", candidate)).parameters)
        except (TypeError, ValueError):
            have = wanted["parameters"]
        if have[: len(wanted["parameters"])] != wanted["parameters"]:
            line = getattr(getattr(getattr(candidate, "py_func", candidate), "__code__", None), "co_firstlineno", "?")
            raise LoadError(f"{path}:{line}: {name} takes ({', '.join(have)}); expected the stub's signature "
                            f"{wanted['text']}")
        functions[name] = candidate
    return functions


def _import_error(path: str, exc: BaseException) -> LoadError:
    if isinstance(exc, ForbiddenUse):
        return LoadError(f"{path} {exc}", status="forbidden")
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    if isinstance(exc, SystemExit):
        return LoadError(f"{path}{line}: the solution called sys.exit({exc.code}) while being imported")
    return LoadError(f"{path}{line}: importing the solution raised {type(exc).__name__}: {exc}")


def _load_compiled(spec: BoxSpec) -> dict[str, Callable]:
    import importlib.util

    path = spec.module
    module_spec = importlib.util.spec_from_file_location(os.path.basename(path).split(".")[0], path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001
        raise LoadError(f"loading the compiled solution raised {type(exc).__name__}: {exc}") from None
    missing = [name for name in spec.exports if not hasattr(module, name)]
    if missing:
        raise LoadError(f"the compiled solution has no {', '.join(missing)}: is the harness intact?")
    return {name: getattr(module, name) for name in spec.exports}


class _Server:
    def __init__(self, spec: BoxSpec, functions: dict[str, Callable]):
        self.spec = spec
        self.functions = functions
        self.graphs: OrderedDict[int, tuple[list, list]] = OrderedDict()
        self.next_handle = 1
        self.kept = None  # the last timed output, alive until the judge has read it

    def serve(self, rfd: int, wfd: int) -> None:
        while True:
            try:
                request = wire.receive(rfd)
            except EOFError:
                return
            self.kept = None
            handler = {Kind.CALL: self.call, Kind.BACKWARD: self.backward, Kind.TIMED_CALL: self.timed_call,
                       Kind.THREADS: self.threads}[request.kind]
            try:
                reply, inputs = handler(request.fields)
                chunks = wire.encode(reply, inputs)
            except BaseException as exc:  # noqa: BLE001 - a result that cannot be written (too deep, a
                # __str__ that raises, a recursive list) is reported, and the box carries on
                reason = exc if isinstance(exc, wire.WireError) else f"{type(exc).__name__} while writing it"
                chunks = wire.encode(_raised(Outcome.WIRE, str(reason)))
            wire.send_chunks(wfd, chunks)

    def threads(self, fields: dict):
        import torch

        torch.set_num_threads(max(1, int(fields["threads"])))
        return Message(Kind.OK), None

    def _invoke(self, name: str, args: list, kwargs: dict):
        """(result, None) or (None, the RAISED reply)."""
        fn = self.functions.get(name)
        if fn is None:
            return None, _raised(Outcome.RAISED, f"the solution has no function {name!r}", AttributeError)
        try:
            return fn(*args, **kwargs), None
        except NotImplementedError:
            return None, _raised(Outcome.NOT_STARTED, "")
        except ForbiddenUse as exc:
            return None, _raised(Outcome.FORBIDDEN, str(exc))
        except (MemoryError, SystemExit) as exc:
            return None, _raised(Outcome.FATAL, _fatal_text(exc), type(exc))
        except BaseException as exc:  # noqa: BLE001 - the candidate's failure is reported as data
            if "can't allocate memory" in str(exc):
                return None, _raised(Outcome.FATAL, _fatal_text(MemoryError(str(exc))), type(exc))
            return None, _raised(Outcome.RAISED, _safe_str(exc), type(exc), self._where(exc))

    def _where(self, exc: BaseException) -> str:
        where, tb = "", exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.spec.solution:
                where = f"{self.spec.solution}:{tb.tb_lineno} in {tb.tb_frame.f_code.co_name}"
            tb = tb.tb_next
        return where

    def _tripped(self) -> Message | None:
        used = _TRIPWIRES.tripped if _TRIPWIRES is not None else []
        if used:
            return _raised(Outcome.FORBIDDEN, str(used[0]))
        return None

    def call(self, fields: dict):
        import torch

        args, kwargs = fields.get("args", []), fields.get("kwargs", {})
        inputs = wire.input_tensors((args, kwargs))
        with torch.enable_grad():
            result, raised = self._invoke(fields["function"], args, kwargs)
            if raised is None and fields.get("backward"):
                result, raised = self._backward_now(result, inputs)
        raised = self._tripped() or raised
        if raised is not None:
            return raised, None
        outputs = wire.direct_tensors(result)
        leaves = [t for t in inputs if t.requires_grad]
        differentiable = [bool(t.requires_grad) for t in outputs]
        handle = None
        if leaves and any(differentiable):
            handle = self.next_handle
            self.next_handle += 1
            self.graphs[handle] = ([t for t in outputs], leaves)
            while len(self.graphs) > KEPT_GRAPHS:
                self.graphs.popitem(last=False)
        reply = {"value": result, "handle": handle, "differentiable": differentiable}
        if fields.get("echo"):
            reply["args"], reply["kwargs"] = args, kwargs
        return Message(Kind.RESULT, reply), inputs

    @staticmethod
    def _backward_now(result, inputs):
        """[output, d output / d each input that requires grad]: one forward and backward, as a memory
        measurement runs it."""
        import torch

        leaves = [t for t in inputs if t.requires_grad]
        if not isinstance(result, torch.Tensor) or result.numel() != 1 or not result.requires_grad:
            return [result], None
        try:
            with _candidate():
                grads = torch.autograd.grad(result, leaves, allow_unused=True)
        except BaseException as exc:  # noqa: BLE001
            return None, _raised(Outcome.RAISED, f"backward raised: {_safe_str(exc)}", type(exc))
        return [result.detach(), *grads], None

    def backward(self, fields: dict):
        import torch

        graph = self.graphs.get(fields.get("handle"))
        if graph is None:
            return _raised(Outcome.RAISED, "the graph of that call is no longer kept", RuntimeError), None
        outputs, leaves = graph
        grads_in = fields.get("grads", [])
        pairs = [(o, g) for o, g in zip(outputs, grads_in) if o.requires_grad and isinstance(g, torch.Tensor)]
        try:
            with _candidate():  # the backward of the candidate's own autograd Function is theirs too
                grads = torch.autograd.grad([o for o, _ in pairs], leaves, [g.to(o.dtype) for o, g in pairs],
                                            retain_graph=True, allow_unused=True)
        except BaseException as exc:  # noqa: BLE001 - a backward that fails is the candidate's failure
            return _raised(Outcome.RAISED, f"backward through the solution raised: {_safe_str(exc)}", type(exc),
                           self._where(exc)), None
        raised = self._tripped()
        if raised is not None:
            return raised, None
        return Message(Kind.GRADS, {"grads": list(grads)}), None

    def timed_call(self, fields: dict):
        """Run once on the inputs and leave the output in memory, for the judge to read while the box
        is stopped. Device outputs are copied to the host here, inside the judged time. The reference's
        box also says how long its work took, by the clock and on its main thread's CPU: the rest of
        the call is transport (receiving, decoding, replying), which the judge takes off the
        candidate's identical call too."""
        import time

        import numpy as np
        import torch

        args = fields.get("args", [])
        started, started_cpu = time.perf_counter(), time.thread_time()
        if self.spec.track == "cuda" and self.spec.gpu:
            args = [a.cuda() if isinstance(a, torch.Tensor) else a for a in args]
        result, raised = self._invoke(fields["function"], args, {})
        raised = self._tripped() or raised
        if raised is not None:
            return raised, None
        if isinstance(result, np.ndarray):
            result = torch.from_numpy(result)
        reply = {"value": result}
        if type(result) is torch.Tensor:
            if result.is_cuda:
                torch.cuda.synchronize()
            flat = result.detach().cpu().contiguous()
            if flat.dtype.is_floating_point or flat.dtype in (torch.int64, torch.int32, torch.bool, torch.uint8):
                self.kept = flat
                reply = {"address": flat.data_ptr(), "nbytes": flat.numel() * flat.element_size(),
                         "dtype": wire.dtype_name(flat.dtype), "shape": list(flat.shape)}
        if self.spec.role is Role.REFERENCE:
            reply["work_s"] = time.perf_counter() - started
            reply["work_cpu_s"] = time.thread_time() - started_cpu
        return Message(Kind.TIMED, reply), None


def _as_candidate(fn: Callable) -> Callable:
    import functools

    @functools.wraps(getattr(fn, "py_func", fn))
    def call(*args, **kwargs):
        with _candidate():
            return fn(*args, **kwargs)

    return call


def _candidate():
    """Everything inside counts as the candidate's code for the tripwires (a compiled solution
    leaves no Python frame of its own file on the stack)."""
    import contextlib

    return _TRIPWIRES.calling_candidate() if _TRIPWIRES is not None else contextlib.nullcontext()


def _raised(outcome: Outcome, message: str, kind: type | None = None, where: str = "", **extra) -> Message:
    """The reply for a call that did not return: how it ended, what was raised (its class names,
    most derived first, for the judge to rebuild the nearest builtin), and where in the solution."""
    fields = {"outcome": outcome.value, "message": message, "where": where, **extra}
    if kind is not None:
        fields["types"] = [c.__name__ for c in kind.__mro__]
    return Message(Kind.RAISED, fields)


def _fatal_text(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code}); a solution must return its result, not exit"
    return f"ran out of memory (the memory limit was exceeded): {type(exc).__name__} {exc}"


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a __str__ that raises still leaves a message
        return f"<{type(exc).__name__} whose message could not be read>"
