"""Timing a solution against the reference, by the judge's clock, on inputs the judge owns.

Candidate and reference each run in a box of their own, loaded the same way. They run interleaved
(alternating which goes first) on fresh inputs every repeat, after a warm-up that absorbs JIT
compilation, and the box that is not being timed is stopped (SIGSTOP). A call's transport (waking
the box, sending the inputs, freeing the last output, the reply) is taken off both sides: the
reference's box reports how long its own work took, and the rest of the judge's measurement of that
call is the transport of this repeat, which the candidate's identical call paid as well.
The judge reads each timed output from the stopped box's memory and checks it against the
reference's, so caching results, returning early or finishing work after the reply gains nothing.
On a GPU the box copies its output to the host inside the timed call (the judge cannot record CUDA
events in another process), which adds the same transfer to both sides.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from typing import Callable

_clock = time.perf_counter


@dataclass
class Measurement:
    size: int
    candidate_s: float
    reference_s: float
    spread: float  # interquartile range of the per-repeat ratios, relative to their median
    repeats: int
    overhead_s: float = 0.0  # the median transport of a call, taken off both sides

    @property
    def ratio(self) -> float:
        return self.candidate_s / self.reference_s if self.reference_s > 0 else float("inf")


@dataclass
class Benchmark:
    """What a suite declares to be timed: how to make inputs of a size, and how to compare outputs."""

    make_inputs: Callable[[int, object], tuple]
    check: Callable[[object, object], None]
    fast_reference: Callable  # what kernel tracks are graded against
    readable_reference: Callable  # what python-track timings are reported against
    unit: str = "items"
    work: Callable[[int], float] = lambda size: float(size)

    def reference_for(self, track: str) -> Callable:
        return self.readable_reference if track == "python" else self.fast_reference


def _inputs(bench: Benchmark, size: int, generator) -> list:
    return list(bench.make_inputs(size, generator))


def spread_threads(box) -> None:
    """Pin the box's threads to the CPUs in turn, its main thread first. SIGCONT wakes every thread
    of a stopped box at once, and the scheduler tends to queue them all on the one idle CPU until
    the next balancing tick: an OpenMP kernel then runs its threads one after another, and takes
    several times its real time."""
    cpus = sorted(os.sched_getaffinity(0))
    try:
        tids = sorted((int(t) for t in os.listdir(f"/proc/{box.pid}/task")), key=lambda tid: (tid != box.pid, tid))
    except OSError:
        return
    for i, tid in enumerate(tids):
        try:
            os.sched_setaffinity(tid, {cpus[i % len(cpus)]})
        except OSError:  # a thread that ended since the listing
            continue


def timed_call(box, others, function: str, args: list) -> tuple[float, object, float | None]:
    """One call in ``box``, timed by the judge's clock from the request to the reply, with every
    other box stopped so that threads it left running cannot take this one's time. The box is
    stopped again before its output is read from its memory, so no work can finish after the clock.
    Returns the judge's time, the output, and the time the box reports for its own work (the
    reference's box only; None otherwise)."""
    import torch

    from grader import wire
    from grader.remote import raise_outcome

    chunks = wire.encode(wire.Message(wire.Kind.TIMED_CALL, {"function": function, "args": args}))
    for other in others:
        if other is not box:
            other.stop()
    box.cont()
    spread_threads(box)
    start = _clock()
    box.send_chunks(chunks)
    reply = box.receive()
    elapsed = _clock() - start
    box.stop()
    if reply.kind is wire.Kind.RAISED:
        raise_outcome(function, reply.fields)
    fields = reply.fields
    if reply.kind is not wire.Kind.TIMED:
        raise ValueError(f"the timed call answered {reply.kind.value}")
    work = fields.get("work_s")
    work = min(float(work), elapsed) if type(work) is float and work >= 0 else None
    if "address" not in fields:
        return elapsed, fields.get("value"), work
    dtype = wire.torch_dtype(fields.get("dtype"))
    shape = wire._Decoder.shape(fields)
    count = 1
    for s in shape:
        count *= s
    nbytes = count * torch.empty((), dtype=dtype).element_size()
    address = fields.get("address")
    if type(address) is not int or fields.get("nbytes") != nbytes or nbytes > wire.MAX_MESSAGE_BYTES:
        raise ValueError("the timed call described its output inconsistently")
    raw = box.read_memory(address, nbytes)
    out = torch.frombuffer(raw, dtype=torch.uint8).view(dtype).reshape(shape) if nbytes else torch.empty(shape, dtype=dtype)
    return elapsed, out, work


def measure(candidate, reference, bench: Benchmark, size: int, *, seed: int, function: str,
            min_repeats: int = 5, max_repeats: int = 25, budget_s: float = 4.0) -> Measurement:
    """Candidate and reference boxes, timed alternately on the same fresh inputs."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    both = (candidate, reference)
    try:
        for _ in range(2):  # warm-up: JIT compilation, page faults, thread-pool start
            args = _inputs(bench, size, generator)
            timed_call(candidate, both, function, args)
            timed_call(reference, both, "speed", args)
        cand_times, ref_times, transports = [], [], []
        started = _clock()
        for repeat in range(max_repeats):
            args = _inputs(bench, size, generator)
            if repeat % 2 == 0:
                t_cand, out, _ = timed_call(candidate, both, function, args)
                t_ref, expected, work = timed_call(reference, both, "speed", args)
            else:
                t_ref, expected, work = timed_call(reference, both, "speed", args)
                t_cand, out, _ = timed_call(candidate, both, function, args)
            bench.check(out, expected)
            if work is None:
                raise ValueError("the reference's box did not report its time")
            transport = t_ref - work
            transports.append(transport)
            cand_times.append(max(t_cand - transport, t_cand / 10))
            ref_times.append(work)
            if repeat + 1 >= min_repeats and _clock() - started > budget_s:
                break
    finally:
        for box in both:
            if box.alive():
                box.cont()
    ratios = sorted(c / r for c, r in zip(cand_times, ref_times) if r > 0)
    q = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
    median_ratio = q[1]
    return Measurement(
        size=size,
        candidate_s=statistics.median(cand_times),
        reference_s=statistics.median(ref_times),
        spread=(q[2] - q[0]) / median_ratio if median_ratio else 0.0,
        repeats=len(cand_times),
        overhead_s=statistics.median(transports),
    )


def grade_speed(candidate, reference, bench: Benchmark, size: int, threshold: float, *, seed: int, function: str,
                attempts: int = 3) -> tuple[bool, list[Measurement]]:
    """Pass when a measurement's ratio is within the threshold; a miss is re-measured before it
    counts, so a correct solution near the threshold does not flip on noise."""
    measurements = []
    for attempt in range(attempts):
        m = measure(candidate, reference, bench, size, seed=seed + attempt, function=function)
        measurements.append(m)
        if m.ratio <= threshold:
            return True, measurements
    return False, measurements
