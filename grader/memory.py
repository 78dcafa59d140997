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

A ratio at one size cannot tell tiles from blocks of ``chunk_size`` rows × all N columns: at
N = 4096 those hold a quarter of the matrix and pass any threshold a tiled solution passes with a
margin. What tells them apart is how the peak grows with N at a fixed chunk size: tiles add only
(N, D) vectors (the saved features and the gradients), row blocks add ``chunk_size`` entries per
row. So a ``growth`` rule measures the candidate at two sizes, each in a fresh box, with few
features per row (so the (N, D) part is small), and allows the peak to grow by at most ``copies``
(N, D) arrays of the inputs' dtype. The expected values at those sizes come from a tiled reference
in the reference's box: the naive loss would need gigabytes there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from grader.verdicts import describe_failure

_clock = time.perf_counter
# More than this much resident memory after loading than the reference's box holds, and the
# solution is not measured (the reference's module and the candidate's differ by a few MB).
IMPORT_SLACK_MB = 64


@dataclass
class MemoryBenchmark:
    """What a suite declares to be measured for memory: inputs of a size, which of them the call is
    differentiated by (forward, then backward of the scalar result), and a check of the outputs."""

    function: str  # the candidate's function to call
    make_inputs: Callable[[int, int, object], tuple]  # (rows, features per row, generator)
    differentiate: tuple[int, ...]  # positions of the inputs that get gradients
    check: Callable[[list, list, str], None]  # [loss, *grads] against the reference's, at a size; raises PropertyFailure
    reference: Callable  # the naive reference the threshold is relative to
    scalable_reference: Callable | None = None  # gives the expected values where the naive one would not fit
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


def growth_sizes(memory: dict) -> list[int]:
    """The sizes a ``[memory] growth`` rule measures the candidate at, one fresh box each."""
    growth = memory.get("growth") or {}
    return [int(n) for n in growth.get("sizes", ())] if memory.get("graded", True) else []


def run_memory(benchmark: MemoryBenchmark, candidate, reference, job: dict, memory: dict,
               growth_boxes: tuple = ()) -> dict:
    """The "memory" test: the candidate's extra peak memory, forward and backward, at ``memory["size"]``,
    at most ``memory["threshold"]`` times what the naive reference's adds; then, under a ``growth``
    rule, how much that peak grows between two sizes. ``candidate``, ``reference`` and each of
    ``growth_boxes`` (one per growth size) are fresh boxes that have loaded and done nothing else."""
    import torch

    size = int(memory.get("size", 4096))
    features = int(memory.get("features", 256))
    threshold = float(memory["threshold"])
    graded = bool(memory.get("graded", True))
    growth = memory.get("growth") if graded else None
    started = _clock()
    description = (f"at {benchmark.unit} = {size}, extra peak memory (forward + backward) at most {threshold:g}× "
                   "the naive loss's") if graded else "extra peak memory, reported only"
    if growth:
        description += (f"; from {benchmark.unit} = {growth['sizes'][0]} to {growth['sizes'][1]} it grows by at most "
                        f"{growth['copies']} ({benchmark.unit}, D) arrays")

    def result(status: str, message: str, **extra) -> dict:
        return {"name": "memory", "description": description, "status": status, "message": message,
                "duration_s": round(_clock() - started, 4), **extra}

    def inputs(rows: int, width: int) -> list:
        args = list(benchmark.make_inputs(rows, width, torch.Generator().manual_seed(job.get("seed") or 0)))
        for i in benchmark.differentiate:
            args[i] = args[i].detach().requires_grad_(True)
        return args

    mb = 1024 * 1024
    # Read by the judge, never taken from the box's own report; the baseline is what a box holds
    # before it loads any solution (the judge's own resident set when it forked its boxes).
    baseline_kb = job.get("baseline_rss_kb") or reference.status_kb("VmRSS")
    for box in (candidate, *growth_boxes):
        held = box.status_kb("VmRSS") - baseline_kb
        if held > IMPORT_SLACK_MB * 1024:
            return result("failed", f"the module holds {held / 1024:.0f} MB more after it is loaded than a box "
                                    f"does before loading (at most {IMPORT_SLACK_MB} MB more is measured): memory "
                                    "taken at import would hide the call's own peak")
    where = f"{benchmark.unit} = {size}"
    try:
        args = inputs(size, features)
        reference_bytes, expected = measure_extra_peak(reference, "memory", args)
        candidate_bytes, outputs = measure_extra_peak(candidate, benchmark.function, args)
        benchmark.check(outputs, expected, where)
        ratio = candidate_bytes / reference_bytes if reference_bytes else float("inf")
        figures = {"ratio": ratio, "threshold": threshold if graded else None, "size": size,
                   "candidate_bytes": candidate_bytes, "reference_bytes": reference_bytes}
        text = (f"{candidate_bytes / mb:.1f} MB extra peak at {where}, {ratio:.3f}× the naive "
                f"loss's {reference_bytes / mb:.1f} MB")
        if not graded:
            return result("passed", text + "; reported, not graded", memory=figures)
        text += f"; threshold {threshold:g}×, margin {threshold / ratio if ratio else float('inf'):.2f}×"
        if ratio > threshold or not growth:
            return result("passed" if ratio <= threshold else "failed", text, memory=figures)
        peaks = []
        width = int(growth["features"])
        for rows, box in zip(growth_sizes(memory), growth_boxes, strict=True):
            where = f"{benchmark.unit} = {rows}, D = {width}"
            args = inputs(rows, width)
            _, expected = measure_extra_peak(reference, "memory-at-scale", args)
            peak, outputs = measure_extra_peak(box, benchmark.function, args)
            benchmark.check(outputs, expected, where)
            peaks.append(peak)
    except MemoryRunError as exc:
        return result("failed", f"during the memory run at {where}: {exc}")
    except BaseException as exc:  # noqa: BLE001 - a wrong result at scale is a failure like any other
        status, message = describe_failure(exc, "memory")
        return result(status, f"during the memory run at {where}: {message}")
    (small, large), copies = growth_sizes(memory), int(growth["copies"])
    row_bytes = width * args[0].element_size()
    grown, allowed = peaks[1] - peaks[0], copies * (large - small) * row_bytes
    per_row = grown / (large - small)
    figures.update(growth_bytes=grown, growth_allowed_bytes=allowed, growth_sizes=[small, large], growth_features=width)
    text += (f". From {benchmark.unit} = {small} to {large} (D = {width}) the peak grew by {grown / mb:.1f} MB "
             f"({per_row / row_bytes:.1f} rows of features per added row; at most {copies}, {allowed / mb:.1f} MB)")
    if grown > allowed:
        text += (": memory that grows faster than the (N, D) arrays is not tiled. Blocks of chunk_size rows × all "
                 "N columns grow with N; tiles of chunk_size × chunk_size do not")
    return result("passed" if grown <= allowed else "failed", text, memory=figures)
