"""Timing a solution against the reference, measured from outside the boxes, on inputs the judge owns.

Candidate and reference each run in a box of their own, loaded the same way. They run interleaved
(alternating which goes first) on fresh inputs every repeat, after a warm-up that absorbs JIT
compilation, and the box that is not being timed is stopped (SIGSTOP). On the CPU what is compared
is the time the box's threads spent on a CPU, read from /proc by the judge: other programs on a busy
laptop delay a call but do not add to that. On a GPU it is the judge's clock, less the call's
transport (see ``measure``). The judge reads each timed output from the stopped box's memory and
checks it against the reference's, so caching results, returning early or finishing work after the
reply gains nothing. On a GPU the box copies its output to the host inside the timed call (the judge cannot record CUDA
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
    clock: str = "wall"  # "cpu": the boxes' time on a CPU; "wall": the judge's clock
    low_ratio: float = 0.0  # the lower quartile of the per-repeat ratios

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


@dataclass
class Timed:
    """One timed call, as the judge saw it from outside the box."""

    output: object
    wall_s: float  # the judge's clock, request to reply
    work_s: float | None  # what the reference's box says its work took (None from a candidate's box)
    work_cpu_s: float | None  # the same on the reference box's main thread's CPU clock
    cpu_s: float | None  # the box's threads on a CPU: max(longest thread, all threads / CPUs)
    main_cpu_s: float | None  # the box's main thread on a CPU
    main_delay_s: float | None  # the box's main thread runnable but waiting for a CPU
    threads_cpu_s: float  # all of the box's threads that are still there, summed
    process_cpu_s: float | None  # the whole process, from /proc/<pid>/stat, threads that ended included


def _thread_cpu_ns(pid: int) -> dict[int, tuple[int, int]] | None:
    """For each thread of ``pid``: nanoseconds on a CPU, and runnable but waiting for one
    (``schedstat``); None where the kernel does not keep them."""
    found = {}
    try:
        for name in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{name}/schedstat") as stat:
                    ran, waited = stat.read().split()[:2]
                    found[int(name)] = (int(ran), int(waited))
            except (OSError, ValueError, IndexError):
                continue  # a thread that ended since the listing
    except OSError:
        return None
    return found or None


def _process_cpu_s(pid: int) -> float | None:
    """User and system time of the whole process, threads that ended included (clock ticks); None
    when it cannot be read, so that nothing is taken as accounted for by default."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


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


def timed_call(box, others, function: str, args: list) -> Timed:
    """One call in ``box``, with every other box stopped so that threads it left running cannot take
    this one's time. The judge's clock runs from the request to the reply; the box's CPU time is
    read from /proc around the whole time it was allowed to run, from SIGCONT to SIGSTOP, so work
    left running after the reply counts too. The box is stopped before its output is read from its
    memory."""
    import torch

    from grader import wire
    from grader.remote import raise_outcome

    chunks = wire.encode(wire.Message(wire.Kind.TIMED_CALL, {"function": function, "args": args}))
    for other in others:
        if other is not box:
            other.stop()
    threads_before, process_before = _thread_cpu_ns(box.pid), _process_cpu_s(box.pid)
    box.cont()
    spread_threads(box)
    start = _clock()
    box.send_chunks(chunks)
    reply = box.receive()
    elapsed = _clock() - start
    box.stop()
    threads_after, process_after = _thread_cpu_ns(box.pid), _process_cpu_s(box.pid)
    cpu = threads_cpu = main_cpu = main_delay = None
    if threads_before is not None and threads_after is not None:
        spent = {tid: (ran - threads_before.get(tid, (0, 0))[0]) / 1e9 for tid, (ran, _) in threads_after.items()}
        threads_cpu = sum(spent.values())
        cpu = max(max(spent.values()), threads_cpu / len(os.sched_getaffinity(0)))
        main_cpu = spent.get(box.pid)
        if box.pid in threads_after and box.pid in threads_before:
            main_delay = (threads_after[box.pid][1] - threads_before[box.pid][1]) / 1e9
    if reply.kind is wire.Kind.RAISED:
        raise_outcome(function, reply.fields)
    fields = reply.fields
    if reply.kind is not wire.Kind.TIMED:
        raise ValueError(f"the timed call answered {reply.kind.value}")
    work = fields.get("work_s")
    work = min(work, elapsed) if type(work) is float and work >= 0 else None
    work_cpu = fields.get("work_cpu_s")
    work_cpu = min(work_cpu, main_cpu) if type(work_cpu) is float and work_cpu >= 0 and main_cpu is not None else None
    process = None if process_before is None or process_after is None else process_after - process_before
    timed = Timed(fields.get("value"), elapsed, work, work_cpu, cpu, main_cpu, main_delay, threads_cpu or 0.0, process)
    if "address" not in fields:
        return timed
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
    timed.output = (torch.frombuffer(raw, dtype=torch.uint8).view(dtype).reshape(shape) if nbytes
                    else torch.empty(shape, dtype=dtype))
    return timed


def measure(candidate, reference, bench: Benchmark, size: int, *, seed: int, function: str,
            min_repeats: int = 5, max_repeats: int = 25, budget_s: float = 4.0, clock: str = "cpu") -> Measurement:
    """Candidate and reference boxes, timed alternately on the same fresh inputs.

    Either way, each call's transport (receiving and decoding the inputs, the reply) comes off both
    sides: the reference's box reports its own work, and the rest of that call is what the
    candidate's identical call paid as well. ``clock="cpu"`` (CPU tracks) compares the time the
    boxes' threads spent on a CPU, which other programs on a busy machine do not inflate; a box
    whose threads end during the calls, taking their time out of reach of that accounting, is
    measured by the wall clock instead. ``"wall"`` (a GPU, whose work no CPU clock sees) compares the
    judge's clock."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    both = (candidate, reference)
    calls: list[tuple[Timed, Timed]] = []
    try:
        for _ in range(2):  # warm-up: JIT compilation, page faults, thread-pool start
            args = _inputs(bench, size, generator)
            timed_call(candidate, both, function, args)
            timed_call(reference, both, "speed", args)
        started = _clock()
        for repeat in range(max_repeats):
            args = _inputs(bench, size, generator)
            if repeat % 2 == 0:
                cand = timed_call(candidate, both, function, args)
                ref = timed_call(reference, both, "speed", args)
            else:
                ref = timed_call(reference, both, "speed", args)
                cand = timed_call(candidate, both, function, args)
            bench.check(cand.output, ref.output)
            if ref.work_s is None:
                raise ValueError("the reference's box did not report its time")
            calls.append((cand, ref))
            if repeat + 1 >= min_repeats and _clock() - started > budget_s:
                break
    finally:
        for box in both:
            if box.alive():
                box.cont()
    transports = [ref.wall_s - ref.work_s for _, ref in calls]
    if (clock == "cpu" and all(ref.work_cpu_s is not None for _, ref in calls)
            and all(_accounted(side) for side in zip(*calls))):
        cpu_transports = [ref.main_cpu_s - ref.work_cpu_s for _, ref in calls]
        # Threads that take turns never run at once, so "all threads / CPUs" would halve serial work
        # cut in two: the candidate is also held to its main thread's span, the judge's clock less
        # the time that thread waited for a CPU held by something other than its own box (what a
        # busy machine adds). What the call costs in transport by this clock is the fastest
        # reference call's clock less its work.
        wall_transport = min(transports)
        cand_times = [max(cand.cpu_s - t, cand.cpu_s / 10, cand.wall_s - _outside_wait(cand) - wall_transport)
                      for (cand, _), t in zip(calls, cpu_transports)]
        ref_times = [max(ref.cpu_s - t, ref.cpu_s / 10) for (_, ref), t in zip(calls, cpu_transports)]
        transports = cpu_transports
    else:
        clock = "wall"
        cand_times = [max(cand.wall_s - t, cand.wall_s / 10) for (cand, _), t in zip(calls, transports)]
        ref_times = [ref.work_s for _, ref in calls]
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
        clock=clock,
        low_ratio=q[0],
    )


def _outside_wait(call: Timed) -> float:
    """How long the main thread waited for a CPU that its own box's threads were not using: a main
    thread kept waiting (yielding, say) while its siblings run must not have that time taken off."""
    siblings = call.threads_cpu_s - call.main_cpu_s
    return max(0.0, call.main_delay_s - siblings)


def _accounted(calls: tuple[Timed, ...]) -> bool:
    """Whether the per-thread CPU times of one box's calls hold all the CPU time its process used:
    a thread that ended during a call takes its time out of /proc/<pid>/task, though not out of
    the process's total. That total is counted in clock ticks, but the box runs only during its
    calls, so the sum over all of them is one reading, exact to a tick: a tick and a half of slack."""
    if any(None in (call.cpu_s, call.main_cpu_s, call.main_delay_s, call.process_cpu_s) for call in calls):
        return False
    threads = sum(call.threads_cpu_s for call in calls)
    process = sum(call.process_cpu_s for call in calls)
    return process <= threads + 1.5 / os.sysconf("SC_CLK_TCK")


# A miss is clear when even the fastest quarter of its repeats is this far over the threshold: noise
# that slows one run does not slow three quarters of them by half as much again.
CLEAR_MISS = 1.5


def clear_miss(m: Measurement, threshold: float) -> bool:
    return m.low_ratio > threshold * CLEAR_MISS


def grade_speed(candidate, reference, bench: Benchmark, size: int, threshold: float, *, seed: int, function: str,
                attempts: int = 3, clock: str = "cpu") -> tuple[bool, list[Measurement]]:
    """Pass when a measurement's ratio is within the threshold; a miss near the threshold is
    re-measured before it counts, so a correct solution there does not flip on noise, while a clear
    miss (``CLEAR_MISS``) counts at once."""
    measurements = []
    for attempt in range(attempts):
        m = measure(candidate, reference, bench, size, seed=seed + attempt, function=function, clock=clock)
        measurements.append(m)
        if m.ratio <= threshold:
            return True, measurements
        if clear_miss(m, threshold):
            break
    return False, measurements
