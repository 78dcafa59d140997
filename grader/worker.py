"""The grading process: loads one solution, runs its suite, sends results to the parent.

It runs in a child process of its own; everything it reports travels on a connection the parent
created, tagged with a token the solution never sees, so printing, writing files or exiting early
can only lose results, never fake them.
"""

from __future__ import annotations

import importlib
import os
import resource
import sys
import time
from pathlib import Path

from grader.loading import LoadError, load_python
from grader.profiles import hypothesis_settings
from grader.suite import CandidateAborted, CandidateRaised, NotStarted, PropertyFailure, Solution

_clock = time.perf_counter  # held before any solution code runs, so patching time changes nothing


def _limit_memory(megabytes: int) -> None:
    """Cap new address space at ``megabytes`` beyond what the (preloaded) process already maps."""
    with open("/proc/self/status") as status:
        current_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = current_kb * 1024 + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _redirect_output(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def load_suite(root: Path, name: str):
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module = importlib.import_module(f"tests.suites.{name}")
    return module.suite


def load_solution(job: dict) -> Solution:
    path = Path(job["solution"])
    track = job["track"]
    if track in ("cpp", "cuda"):
        from grader.building import load_compiled

        functions = load_compiled(job)
    else:
        if track == "numba-cuda" and not job.get("gpu"):
            # Before numba is first imported: run @cuda.jit kernels in numba's CUDA simulator.
            os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        functions = load_python(path, Path(job["stub"]), tuple(job["forbidden"]), trusted=job.get("trusted", False))
    if track != "python":
        from grader.adapters import adapt

        functions = adapt(functions, Path(job["folder"]))
    return Solution(functions, str(path), track)


def _describe_failure(exc: BaseException, running: str) -> tuple[str, str]:
    """(status, message) for an exception that ended a property."""
    from hypothesis.errors import Flaky

    if isinstance(exc, NotStarted):
        return "not_started", str(exc)
    if isinstance(exc, PropertyFailure):
        if exc.prop and exc.prop != running:
            return "failed", f"[{exc.prop}] {exc.message}"
        return "failed", exc.message
    if isinstance(exc, CandidateRaised):
        return "failed", str(exc)
    if isinstance(exc, CandidateAborted):
        return "error", str(exc)
    from hypothesis.errors import HypothesisException

    if isinstance(exc, HypothesisException) and not isinstance(exc, Flaky):
        return "error", f"the suite itself failed (a bug in the grader, not in your code): {type(exc).__name__}: {exc}"
    if isinstance(exc, Flaky):
        return "failed", "the same input gave different outcomes on different calls (is the solution deterministic?)"
    return "failed", f"checking the result raised {type(exc).__name__}: {exc} (is the output of the expected type?)"


def run_property(prop, solution: Solution, profile: str, seed: int | None) -> dict:
    from hypothesis import seed as fix_seed
    from hypothesis import settings

    test = prop.test
    if hasattr(test, "hypothesis"):
        test = settings(hypothesis_settings(profile, seeded=seed is not None))(test)
        if seed is not None:
            test = fix_seed(seed)(test)
    started = _clock()
    try:
        test(solution)
        status, message, example = "passed", "", []
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a candidate's failure is data here
        status, message = _describe_failure(exc, prop.id)
        example = getattr(exc, "cvg_example", [])
    return {
        "name": prop.id,
        "description": prop.description,
        "status": status,
        "message": message,
        "example": example,
        "duration_s": round(_clock() - started, 4),
    }


def grade(job: dict, send) -> None:
    """Run ``job`` (a plain dict from the parent) and ``send`` each result, then "done"."""
    token = job["token"]
    if job.get("memory_limit_mb"):
        _limit_memory(job["memory_limit_mb"])
    if job.get("output"):
        _redirect_output(job["output"])
    os.chdir(job["root"])
    import torch

    # Suites call on tiny tensors, where intra-op threads cost more in synchronisation than they
    # save (tens of ms a call on a busy 2-core machine); correctness does not depend on them.
    torch.set_num_threads(1)
    suite = load_suite(Path(job["root"]), job["suite"])
    try:
        solution = load_solution(job)
    except LoadError as exc:
        send({"token": token, "type": "done", "status": exc.status, "message": str(exc)})
        return
    if job.get("mode") == "bench":
        send({"token": token, "type": "done", "bench": run_bench(suite, solution, job)})
        return
    requested = set(job.get("only") or ())
    # Speed and memory are measured only once every property passes, so asking for one of them
    # (a replay command does) runs all the properties and then just that measurement.
    measurements = requested & set(MEASUREMENTS)
    only = set() if measurements else requested
    properties = [
        p for p in suite.properties if (not only or p.id in only) and (p.tracks is None or job["track"] in p.tracks)
    ]
    if only - {p.id for p in suite.properties}:
        unknown = ", ".join(sorted(only - {p.id for p in suite.properties}))
        known = ", ".join(p.id for p in suite.properties)
        send({"token": token, "type": "done", "status": "error", "message": f"no property named {unknown}; this suite has: {known}"})
        return
    statuses = []
    for prop in properties:
        result = run_property(prop, solution, job["profile"], job.get("seed"))
        send({"token": token, "type": "test", **result})
        statuses.append(result["status"])
        if result["status"] == "error":  # exhausted memory or exited: later properties would only repeat it
            send({"token": token, "type": "done", "status": "error", "message": result["message"]})
            return
    ready = set(statuses) <= {"passed"}

    def wanted(name: str) -> bool:
        return ready and (name in measurements if requested else True) and bool(job["extra"].get(name))

    if wanted("speed") and suite.benchmark is not None:
        send({"token": token, "type": "test", **run_speed(suite.benchmark, solution, job, job["extra"]["speed"])})
    if wanted("memory") and suite.memory_benchmark is not None:
        from grader.memory import run_memory

        send({"token": token, "type": "test", **run_memory(suite.memory_benchmark, solution, job, job["extra"]["memory"])})
    send({"token": token, "type": "done"})


MEASUREMENTS = ("speed", "memory")


def _timing_device(job: dict) -> str:
    """CUDA challenges are timed on device-resident inputs against the CUDA reference."""
    return "cuda" if job["track"] == "cuda" and job.get("gpu") else "cpu"


def run_speed(benchmark, solution: Solution, job: dict, speed: dict) -> dict:
    """The "speed" test: graded against the threshold for kernel tracks, reported for python."""
    import torch

    from grader.timing import grade_speed

    torch.set_num_threads(os.cpu_count() or 1)  # the reference runs at full speed; so may the solution
    name = next(iter(solution.raw))
    size = max(speed.get("sizes", [1000]))
    threshold = float(speed.get("threshold", float("inf")))
    graded = bool(speed.get("graded", False))
    seed = job.get("seed") or 0
    started = _clock()
    try:
        ok, measurements = grade_speed(solution.raw[name], benchmark.reference_for(job["track"]), benchmark, size,
                                       threshold if graded else float("inf"), seed=seed, device=_timing_device(job))
    except BaseException as exc:  # noqa: BLE001 - a timed run that fails its check is a failure like any other
        status, message = _describe_failure(exc, "speed")
        return {"name": "speed", "description": "timed runs are correct and fast enough", "status": status,
                "message": f"during timing: {message}", "duration_s": round(_clock() - started, 4)}
    last = measurements[-1]
    text = (f"{last.ratio:.2f}× the reference's time at size {size} "
            f"(median of {last.repeats}, spread ±{last.spread * 50:.0f}%; you {last.candidate_s * 1e3:.2f} ms, "
            f"reference {last.reference_s * 1e3:.2f} ms)")
    if graded:
        margin = threshold / last.ratio if last.ratio else float("inf")
        text += f"; threshold {threshold:g}×, margin {margin:.2f}×"
        if len(measurements) > 1:
            text += f"; measured {len(measurements)} times: " + ", ".join(f"{m.ratio:.2f}×" for m in measurements)
    else:
        text += "; reported, not graded"
    return {
        "name": "speed",
        "description": f"at most {threshold:g}× the reference's time" if graded else "speed, reported only",
        "status": "passed" if ok else "failed",
        "message": text,
        "duration_s": round(_clock() - started, 4),
        "speed": {"ratio": last.ratio, "threshold": threshold if graded else None, "size": size,
                  "candidate_s": last.candidate_s, "reference_s": last.reference_s, "spread": last.spread,
                  "attempts": [m.ratio for m in measurements], "graded": graded},
    }



def run_bench(suite, solution: Solution, job: dict) -> list[dict]:
    """Time the solution and the reference at every size of the challenge's speed section."""
    import torch

    from grader.timing import measure

    if suite.benchmark is None:
        raise ValueError(f"the {suite.name} suite declares no benchmark")
    torch.set_num_threads(os.cpu_count() or 1)
    name = next(iter(solution.raw))
    reference = suite.benchmark.reference_for(job["track"])
    rows = []
    for size in job["sizes"]:
        m = measure(solution.raw[name], reference, suite.benchmark, size, seed=job.get("seed") or 0,
                    device=_timing_device(job))
        work = suite.benchmark.work(size)
        rows.append({"size": size, "candidate_s": m.candidate_s, "reference_s": m.reference_s, "ratio": m.ratio,
                     "spread": m.spread, "repeats": m.repeats, "throughput": work / m.candidate_s if m.candidate_s else 0.0,
                     "unit": suite.benchmark.unit})
    return rows
