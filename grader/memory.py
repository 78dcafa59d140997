"""Grading extra peak memory: how much a call (forward and backward) adds on top of its inputs.

Each measurement runs in a child forked from the worker, so the peak is the call's own: the child
resets its resident-set high-water mark (writing "5" to /proc/self/clear_refs sets VmHWM to the
current VmRSS), reports that baseline on a pipe before any measured code runs, calls, writes its
outputs' raw bytes after a JSON header, and leaves with os._exit. The peak is the kernel's
``ru_maxrss`` of the child, read by the worker with ``wait4``: the measured code cannot report a
smaller one. Its outputs travel back as raw numbers (never pickles) and are checked in the worker
against the reference's, measured the same way, so a cheap wrong answer gains nothing.
The child runs on one thread, so the figure does not depend on the machine's core count.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import time
from dataclasses import dataclass
from typing import Callable

_clock = time.perf_counter
_DTYPES = {"float32": 4, "float64": 8}


@dataclass
class MemoryBenchmark:
    """What a suite declares to be measured for memory: inputs of a size, one measured run, a check."""

    function: str  # the candidate's function to call
    make_inputs: Callable[[int, object], tuple]
    run: Callable[[Callable, tuple], list]  # calls fn on the inputs (forward + backward), returns tensors
    check: Callable[[list, list], None]  # candidate outputs against the reference's; raises PropertyFailure
    reference: Callable  # the naive reference the threshold is relative to
    unit: str = "N"


class MemoryRunError(Exception):
    pass


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def _write_all(fd: int, data) -> None:
    view = memoryview(data).cast("B")
    while view:
        view = view[os.write(fd, view):]


def _child(write_fd: int, call: Callable[[], list]) -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the worker
        # Allocations of 128 KiB and up get pages of their own, returned on free (M_MMAP_THRESHOLD):
        # glibc would otherwise raise that threshold after the first large free and keep freed
        # blocks resident, so the peak would depend on the order of allocations, not their sizes.
        libc.mallopt(-3, 128 * 1024)
    except Exception:  # noqa: BLE001 - best effort
        pass
    import torch

    torch.set_num_threads(1)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    _write_all(write_fd, struct.pack("<q", _status_kb("VmRSS") * 1024))
    try:
        outputs = call()
        arrays = []
        for out in outputs:
            if not isinstance(out, torch.Tensor) or str(out.dtype).removeprefix("torch.") not in _DTYPES:
                raise TypeError(f"expected float32 or float64 tensors, got {type(out).__name__} "
                                f"{getattr(out, 'dtype', '')}")
            arrays.append(out.detach().cpu().contiguous().numpy())
        header = {"ok": True, "tensors": [{"dtype": str(a.dtype), "shape": list(a.shape)} for a in arrays]}
    except BaseException as exc:  # noqa: BLE001 - reported to the worker, which judges it
        arrays, header = [], {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    _write_all(write_fd, (json.dumps(header) + "\n").encode())
    for array in arrays:
        _write_all(write_fd, array)


def measure_extra_peak(call: Callable[[], list], *, timeout_s: float = 120.0) -> tuple[int, list]:
    """(extra peak bytes of ``call()`` over the resident set at its start, its output tensors)."""
    import numpy as np
    import torch

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report, and never return into the worker's code
        code = 0
        try:
            os.close(read_fd)
            _child(write_fd, call)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks, deadline = [], _clock() + timeout_s
    try:
        while True:
            remaining = deadline - _clock()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                raise MemoryRunError(f"the measured run took longer than {timeout_s:g} s")
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 1.0))
            if ready:
                data = os.read(read_fd, 1 << 20)
                if not data:
                    break
                chunks.append(data)
    finally:
        os.close(read_fd)
        _, status, usage = os.wait4(pid, 0)
    data = b"".join(chunks)
    if len(data) < 8:
        raise MemoryRunError(f"the measured run ended before it started (exit status {status})")
    baseline = struct.unpack("<q", data[:8])[0]
    line, _, raw = data[8:].partition(b"\n")
    try:
        header = json.loads(line)
    except ValueError:
        raise MemoryRunError(f"the measured run ended without a result (exit status {status})") from None
    if not header.get("ok"):
        raise MemoryRunError(f"the measured run raised {header.get('error')}")
    outputs, offset = [], 0
    for spec in header["tensors"]:
        count = int(np.prod(spec["shape"], dtype=np.int64))
        size = count * _DTYPES[spec["dtype"]]
        array = np.frombuffer(raw, dtype=spec["dtype"], count=count, offset=offset).reshape(spec["shape"])
        outputs.append(torch.from_numpy(array.copy()))
        offset += size
    return max(0, usage.ru_maxrss * 1024 - baseline), outputs


def run_memory(benchmark: MemoryBenchmark, solution, job: dict, memory: dict) -> dict:
    """The "memory" test: the candidate's extra peak memory, forward and backward, at ``memory["size"]``,
    at most ``memory["threshold"]`` times what the naive reference's adds."""
    import torch

    from grader.worker import _describe_failure

    size = int(memory.get("size", 4096))
    threshold = float(memory["threshold"])
    graded = bool(memory.get("graded", True))
    timeout_s = float(memory.get("timeout_s", 120))
    started = _clock()
    description = (f"at {benchmark.unit} = {size}, extra peak memory (forward + backward) at most {threshold:g}× "
                   "the naive loss's") if graded else "extra peak memory, reported only"
    try:
        args = benchmark.make_inputs(size, torch.Generator().manual_seed(job.get("seed") or 0))
        reference_bytes, expected = measure_extra_peak(lambda: benchmark.run(benchmark.reference, args),
                                                       timeout_s=timeout_s)
        candidate = solution.raw[benchmark.function]
        candidate_bytes, outputs = measure_extra_peak(lambda: benchmark.run(candidate, args), timeout_s=timeout_s)
        benchmark.check(outputs, expected)
    except MemoryRunError as exc:
        return {"name": "memory", "description": description, "status": "failed",
                "message": f"during the memory run at {benchmark.unit} = {size}: {exc}",
                "duration_s": round(_clock() - started, 4)}
    except BaseException as exc:  # noqa: BLE001 - a wrong result at scale is a failure like any other
        status, message = _describe_failure(exc, "memory")
        return {"name": "memory", "description": description, "status": status,
                "message": f"during the memory run at {benchmark.unit} = {size}: {message}",
                "duration_s": round(_clock() - started, 4)}
    ratio = candidate_bytes / reference_bytes if reference_bytes else float("inf")
    mb = 1024 * 1024
    text = (f"{candidate_bytes / mb:.1f} MB extra peak at {benchmark.unit} = {size}, {ratio:.3f}× the naive "
            f"loss's {reference_bytes / mb:.1f} MB")
    ok = ratio <= threshold or not graded
    text += f"; threshold {threshold:g}×, margin {threshold / ratio if ratio else float('inf'):.2f}×" if graded \
        else "; reported, not graded"
    return {"name": "memory", "description": description, "status": "passed" if ok else "failed",
            "message": text, "duration_s": round(_clock() - started, 4),
            "memory": {"ratio": ratio, "threshold": threshold if graded else None, "size": size,
                       "candidate_bytes": candidate_bytes, "reference_bytes": reference_bytes}}
