"""Timing a solution against the reference, inside the worker, on inputs the harness owns.

Candidate and reference run interleaved (alternating which goes first) on fresh inputs every
repeat, after a warm-up that absorbs JIT compilation; every timed output is checked against the
reference's, so caching results or returning early on repeated inputs gains nothing. The clock is
bound when this module is imported, before any solution code runs.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

_clock = time.perf_counter
L2_FLUSH_BYTES = 256 * 1024 * 1024  # larger than any GPU's L2 (an H100/H200 has 50 MB)


@dataclass
class Measurement:
    size: int
    candidate_s: float
    reference_s: float
    spread: float  # interquartile range of the per-repeat ratios, relative to their median
    repeats: int

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


def _on_gpu(args: tuple) -> bool:
    import torch

    return any(isinstance(a, torch.Tensor) and a.is_cuda for a in args)


def _one(fn: Callable, args: tuple) -> tuple[float, object]:
    """Wall time on the CPU; on a GPU, CUDA events around the call after flushing the L2 cache,
    so neither side profits from data the other left in cache."""
    if not _on_gpu(args):
        start = _clock()
        out = fn(*args)
        return _clock() - start, out
    import torch

    flush = torch.empty(L2_FLUSH_BYTES, dtype=torch.uint8, device="cuda")
    flush.zero_()
    begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    begin.record()
    out = fn(*args)
    end.record()
    torch.cuda.synchronize()
    return begin.elapsed_time(end) / 1e3, out


def _inputs(bench: Benchmark, size: int, generator, device: str) -> tuple:
    import torch

    args = bench.make_inputs(size, generator)
    return tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in args)


def measure(candidate: Callable, reference: Callable, bench: Benchmark, size: int, *, seed: int, device: str = "cpu",
            min_repeats: int = 5, max_repeats: int = 25, budget_s: float = 4.0) -> Measurement:
    import torch

    generator = torch.Generator().manual_seed(seed)
    for _ in range(2):  # warm-up: JIT compilation, page faults, thread-pool start
        args = _inputs(bench, size, generator, device)
        candidate(*args)
        reference(*args)
    cand_times, ref_times = [], []
    started = _clock()
    for repeat in range(max_repeats):
        args = _inputs(bench, size, generator, device)
        if repeat % 2 == 0:
            t_cand, out = _one(candidate, args)
            t_ref, expected = _one(reference, args)
        else:
            t_ref, expected = _one(reference, args)
            t_cand, out = _one(candidate, args)
        bench.check(out, expected)
        cand_times.append(t_cand)
        ref_times.append(t_ref)
        if repeat + 1 >= min_repeats and _clock() - started > budget_s:
            break
    ratios = sorted(c / r for c, r in zip(cand_times, ref_times) if r > 0)
    q = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
    median_ratio = q[1]
    return Measurement(
        size=size,
        candidate_s=statistics.median(cand_times),
        reference_s=statistics.median(ref_times),
        spread=(q[2] - q[0]) / median_ratio if median_ratio else 0.0,
        repeats=len(cand_times),
    )


def grade_speed(candidate: Callable, reference: Callable, bench: Benchmark, size: int, threshold: float,
                *, seed: int, device: str = "cpu", attempts: int = 3) -> tuple[bool, list[Measurement]]:
    """Pass when a measurement's ratio is within the threshold; a miss is re-measured before it
    counts, so a correct solution near the threshold does not flip on noise."""
    measurements = []
    for attempt in range(attempts):
        m = measure(candidate, reference, bench, size, seed=seed + attempt, device=device)
        measurements.append(m)
        if m.ratio <= threshold:
            return True, measurements
    return False, measurements
