"""Grading extra peak memory: how much a call (forward and backward) adds on top of its inputs.

The judge measures from outside. Each side — the candidate's solution and the naive reference —
runs in a fresh box of its own (one thread; malloc returns large blocks to the system on free, so a
peak depends on the sizes allocated, not on what glibc kept). Just before the call the judge sets
the box's resident-set high-water mark to its current resident set (``/proc/PID/clear_refs``) and
reads that as the baseline; after the reply it reads ``VmHWM``. The box cannot reset its own mark
(the sandbox leaves ``/proc`` read-only). The inputs travel with the call, so both sides pay the
same for receiving them, and nothing can be computed ahead of the measured call. A box that holds
much more memory after loading than the reference's does is refused a measurement: memory taken at
import and freed inside the call would otherwise hide the call's own peak. Outputs come back as data
and are checked against the reference's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

_clock = time.perf_counter
# More than this much resident memory after loading than the reference's box holds, and the
# solution is not measured (the reference's module and the candidate's differ by a few MB).
IMPORT_SLACK_MB = 64


@dataclass
class MemoryBenchmark:
    """What a suite declares to be measured for memory: inputs of a size, which of them the call is
    differentiated by (forward, then backward of the scalar result), and a check of the outputs."""

    function: str  # the candidate's function to call
    make_inputs: Callable[[int, object], tuple]
    differentiate: tuple[int, ...]  # positions of the inputs that get gradients
    check: Callable[[list, list], None]  # [loss, *grads] against the reference's; raises PropertyFailure
    reference: Callable  # the naive reference the threshold is relative to
    unit: str = "N"


class MemoryRunError(Exception):
    pass


def measure_extra_peak(box, function: str, args: list) -> tuple[int, list]:
    """(extra peak bytes of one forward and backward call in ``box``, [output, *gradients])."""
    from grader import wire
    from grader.remote import raise_outcome

    chunks = wire.encode(wire.Message(wire.Kind.CALL, {"function": function, "args": args, "kwargs": {},
                                                       "backward": True}))
    box.reset_peak()
    baseline_kb = box.status_kb("VmRSS")
    box.send_chunks(chunks)
    reply = box.receive()
    peak_kb = box.status_kb("VmHWM")
    if reply.kind is wire.Kind.RAISED:
        raise_outcome(function, reply.fields)
    value = reply.fields.get("value")
    if type(value) is not list:
        raise MemoryRunError("the measured run returned no outputs")
    return max(0, peak_kb - baseline_kb) * 1024, value


def run_memory(benchmark: MemoryBenchmark, candidate, reference, job: dict, memory: dict) -> dict:
    """The "memory" test: the candidate's extra peak memory, forward and backward, at ``memory["size"]``,
    at most ``memory["threshold"]`` times what the naive reference's adds. ``candidate`` and
    ``reference`` are fresh boxes that have loaded and done nothing else."""
    import torch

    from grader.worker import describe_failure

    size = int(memory.get("size", 4096))
    threshold = float(memory["threshold"])
    graded = bool(memory.get("graded", True))
    started = _clock()
    description = (f"at {benchmark.unit} = {size}, extra peak memory (forward + backward) at most {threshold:g}× "
                   "the naive loss's") if graded else "extra peak memory, reported only"

    def result(status: str, message: str, **extra) -> dict:
        return {"name": "memory", "description": description, "status": status, "message": message,
                "duration_s": round(_clock() - started, 4), **extra}

    mb = 1024 * 1024
    # Read by the judge, never taken from the box's own report; the baseline is what a box holds
    # before it loads any solution (the judge's own resident set when it forked its boxes).
    held = candidate.status_kb("VmRSS") - (job.get("baseline_rss_kb") or reference.status_kb("VmRSS"))
    if held > IMPORT_SLACK_MB * 1024:
        return result("failed", f"the module holds {held / 1024:.0f} MB more after it is loaded than a box "
                                f"does before loading (at most {IMPORT_SLACK_MB} MB more is measured): memory taken at import "
                                "would hide the call's own peak")
    try:
        args = list(benchmark.make_inputs(size, torch.Generator().manual_seed(job.get("seed") or 0)))
        for i in benchmark.differentiate:
            args[i] = args[i].detach().requires_grad_(True)
        reference_bytes, expected = measure_extra_peak(reference, "memory", args)
        candidate_bytes, outputs = measure_extra_peak(candidate, benchmark.function, args)
        benchmark.check(outputs, expected)
    except MemoryRunError as exc:
        return result("failed", f"during the memory run at {benchmark.unit} = {size}: {exc}")
    except BaseException as exc:  # noqa: BLE001 - a wrong result at scale is a failure like any other
        status, message = describe_failure(exc, "memory")
        return result(status, f"during the memory run at {benchmark.unit} = {size}: {message}")
    ratio = candidate_bytes / reference_bytes if reference_bytes else float("inf")
    text = (f"{candidate_bytes / mb:.1f} MB extra peak at {benchmark.unit} = {size}, {ratio:.3f}× the naive "
            f"loss's {reference_bytes / mb:.1f} MB")
    ok = ratio <= threshold or not graded
    text += f"; threshold {threshold:g}×, margin {threshold / ratio if ratio else float('inf'):.2f}×" if graded \
        else "; reported, not graded"
    return result("passed" if ok else "failed", text,
                  memory={"ratio": ratio, "threshold": threshold if graded else None, "size": size,
                          "candidate_bytes": candidate_bytes, "reference_bytes": reference_bytes})
