"""Timing a solution against the reference, by the judge's clock, on inputs the judge owns.

Candidate and reference each run in a box of their own, loaded the same way, so call overheads
cancel. They run interleaved (alternating which goes first) on fresh inputs every repeat, after a
warm-up that absorbs JIT compilation, and the box that is not being timed is stopped (SIGSTOP).
The judge reads each timed output from the stopped box's memory and checks it against the
reference's, so caching results, returning early or finishing work after the reply gains nothing.
On a GPU the box copies its output to the host inside the timed call (the judge cannot record CUDA
events in another process), which adds the same transfer to both sides.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

_clock = time.perf_counter
OVERHEAD_REPEATS = 7


@dataclass
class Measurement:
    size: int
    candidate_s: float
    reference_s: float
    spread: float  # interquartile range of the per-repeat ratios, relative to their median
    repeats: int
    overhead_s: float = 0.0  # the round trip of an empty call, subtracted from both sides

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


def timed_call(box, others, function: str, args: list) -> tuple[float, object]:
    """One call in ``box``, timed by the judge's clock from the request to the reply, with every
    other box stopped so that threads it left running cannot take this one's time. The box is
    stopped again before its output is read from its memory, so no work can finish after the clock."""
    import torch

    from grader import wire
    from grader.remote import raise_outcome

    chunks = wire.encode(wire.Message(wire.Kind.TIMED_CALL, {"function": function, "args": args}))
    for other in others:
        if other is not box:
            other.stop()
    box.cont()
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
    if "address" not in fields:
        return elapsed, fields.get("value")
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
    return elapsed, out


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
        # What a call costs with no work in it (waking the box, sending the inputs, the reply),
        # measured on the reference's box, which the candidate cannot slow down, and taken off
        # both sides so that it does not pull every ratio towards 1. The fastest of a few: noise
        # only ever adds to it.
        overhead = min(timed_call(reference, both, "noop", args)[0] for _ in range(OVERHEAD_REPEATS))
        cand_times, ref_times = [], []
        started = _clock()
        for repeat in range(max_repeats):
            args = _inputs(bench, size, generator)
            if repeat % 2 == 0:
                t_cand, out = timed_call(candidate, both, function, args)
                t_ref, expected = timed_call(reference, both, "speed", args)
            else:
                t_ref, expected = timed_call(reference, both, "speed", args)
                t_cand, out = timed_call(candidate, both, function, args)
            bench.check(out, expected)
            cand_times.append(_net(t_cand, overhead))
            ref_times.append(_net(t_ref, overhead))
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
        overhead_s=overhead,
    )


def _net(elapsed: float, overhead: float) -> float:
    """A call's time less the empty call's, never below a tenth of what was measured."""
    return max(elapsed - overhead, elapsed / 10)


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
