"""The judge: one challenge's suite, run against the candidate's box, reported to the parent.

It runs in a child process of the CLI, forked from a server that preloaded torch and hypothesis.
Before it imports any suite or reference it forks every box it will need (``grader.box``), so no
box's memory holds them. Then it loads the suite and drives it: each property calls the candidate
through ``grader.remote.Solution``; speed and memory are measured from outside the boxes
(``grader.timing``, ``grader.memory``). The judge never imports, unpickles or runs anything a box
produced: replies are data. It is a child subreaper, so a process a box might leave behind is
found and killed before the final verdict is sent. Results travel to the parent as JSON on a
connection the parent created, tagged with a token no box ever sees.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from grader import suites
from grader.box import BoxSpec, Role
from grader.loading import LoadError, check_source, stub_functions
from grader.profiles import hypothesis_settings
from grader.remote import Box, BoxGone, ForbiddenUsed, LoadFailed, Solution
from grader.verdicts import describe_failure, internal_error

_clock = time.perf_counter
MEASUREMENTS = ("speed", "memory")
LOAD_TIMEOUT_S = 120  # numba and CUDA imports are slow on a cold cache


FINAL = ("internal", "error", "crashed", "forbidden")  # statuses after which no further property can run


def run_property(prop, solution: Solution, profile: str, seed: int | None, *, validating: bool = False,
                 shrink_budget_s: float | None = None, shrink: bool = True) -> dict:
    """One property's verdict. ``shrink_budget_s`` caps the time hypothesis spends shrinking a
    counterexample: past it, the smallest failing input found so far is reported, so that a wrong
    answer whose inputs are slow to shrink ends as "failed" with its input, not as a timeout."""
    from hypothesis import seed as fix_seed
    from hypothesis import settings
    from hypothesis.internal.conjecture import engine

    test = prop.test
    if shrink_budget_s is not None:
        engine.MAX_SHRINKING_SECONDS = shrink_budget_s
    if hasattr(test, "hypothesis"):
        test = settings(hypothesis_settings(profile, seeded=seed is not None, health_checks=validating,
                                            shrink=shrink))(test)
        if seed is not None:
            test = fix_seed(seed)(test)
    started = _clock()
    stop = False
    try:
        test(solution)
        status, message, example = "passed", "", []
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a candidate's failure is data here
        status, message = describe_failure(exc, prop.id)
        example = getattr(exc, "cvg_example", [])
        stop = isinstance(exc, (BoxGone, ForbiddenUsed))  # the box is gone or its verdict is final
        if isinstance(exc, BoxGone) and example:
            message += f" while checking {prop.id}, on " + example[-1]
    return {"name": prop.id, "description": prop.description, "status": status, "message": message,
            "example": example, "duration_s": round(_clock() - started, 4), "stop": stop}


# --- boxes ----------------------------------------------------------------------------------------------


class Boxes:
    """The boxes of one challenge, forked before the judge imports anything a box must not see."""

    def __init__(self, job: dict, expected: dict):
        self.job = job
        self.scratch = tempfile.mkdtemp(prefix="cvg-judge-")
        self.all: dict[str, Box] = {}
        wants = set(job.get("only") or ()) or None
        extra = job["extra"]
        bench = job.get("mode") == "bench"
        self.start("candidate", Role.CANDIDATE, expected)
        if bench or (extra.get("speed") and (wants is None or "speed" in wants)):
            self.start("reference", Role.REFERENCE, expected)
        if not bench and extra.get("memory") and (wants is None or "memory" in wants):
            from grader.memory import growth_sizes

            self.start("candidate-memory", Role.CANDIDATE, expected, measure_memory=True)
            self.start("reference-memory", Role.REFERENCE, expected, measure_memory=True)
            for rows in growth_sizes(extra["memory"]):
                self.start(f"candidate-memory-{rows}", Role.CANDIDATE, expected, measure_memory=True)

    def start(self, label: str, role: Role, expected: dict, measure_memory: bool = False) -> None:
        from grader import box

        job = self.job
        scratch = tempfile.mkdtemp(prefix=f"{label}-", dir=self.scratch)
        module = adapter = ""
        if role is Role.CANDIDATE and job.get("module"):
            module = shutil.copy(job["module"], scratch)
        if role is Role.CANDIDATE and (Path(job["folder"]) / "adapter.py").is_file():
            adapter = shutil.copy(Path(job["folder"]) / "adapter.py", scratch)
        spec = BoxSpec(
            # Only the candidate's box writes to what is shown as "your code printed".
            role=role, track=job["track"], scratch=scratch,
            output_path=job["output"] if role is Role.CANDIDATE else os.devnull,
            solution=job["solution"] if role is Role.CANDIDATE and job["track"] not in ("cpp", "cuda") else "",
            expected=expected, forbidden=tuple(job["forbidden"]), module=module, exports=tuple(job["exports"]),
            adapter=adapter, project_root=job["root"], suite=job["suite"], trusted=bool(job.get("trusted")),
            sandbox=bool(job.get("sandbox", True)), memory_limit_mb=job.get("memory_limit_mb"),
            cpu_limit_s=job.get("cpu_limit_s"), gpu=bool(job.get("gpu")), measure_memory=measure_memory,
        )
        pid, to_box, from_box = box.start(spec)
        self.all[label] = Box(pid, to_box, from_box, f"{role.value}'s")

    def get(self, label: str) -> Box | None:
        return self.all.get(label)

    def close(self) -> int:
        """Kill every box and every process any of them left behind; how many were left behind."""
        for b in self.all.values():
            b.kill()
        leftover = _kill_descendants()
        shutil.rmtree(self.scratch, ignore_errors=True)
        return leftover


def _children(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _kill_descendants() -> int:
    """As a subreaper the judge inherits whatever a box left running: kill and reap it all."""
    if not os.path.isdir("/proc"):
        return 0
    killed = 0
    for _ in range(50):
        children = _children(os.getpid())
        if not children:
            break
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                killed += 1
            except (ProcessLookupError, ChildProcessError):
                pass
    return killed


def _rss_kb() -> int:
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def _become_subreaper() -> None:
    try:
        ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _quiet() -> None:
    """The judge's own output (a library warning) is not the candidate's: it goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


# --- the run ----------------------------------------------------------------------------------------------


def grade(job: dict, send_bytes, receive_secrets) -> None:
    """Run ``job`` (a plain dict from the parent) and send each result, then "done". The seed and
    the token come from ``receive_secrets`` once the boxes are forked."""

    def send(message: dict) -> None:
        send_bytes(json.dumps({"token": job["token"], **message}).encode())

    _become_subreaper()
    _quiet()
    os.chdir(job["root"])
    job["baseline_rss_kb"] = _rss_kb()
    try:
        expected = _expected(job)
    except LoadError as exc:
        job.update(json.loads(receive_secrets()))
        send({"type": "done", "status": exc.status, "message": str(exc)})
        return
    boxes = Boxes(job, expected)
    job.update(json.loads(receive_secrets()))
    final: dict = {"type": "done"}
    try:
        final = _run(job, boxes, send)
    except Exception as exc:  # noqa: BLE001 - the judge's own failure, said as such, not as the candidate's
        final = {"type": "done", "status": "internal", "message": internal_error(exc, Path(job["root"]))}
    finally:
        leftover = boxes.close()
    if leftover:
        final = {"type": "done", "status": "error", "sandbox": final.get("sandbox"),
                 "message": f"the solution left {leftover} process(es) running; they were killed"}
    send(final)


def _expected(job: dict) -> dict:
    """What the stub declares, from its text; for python tracks, the solution's text checked too."""
    if job["track"] in ("cpp", "cuda"):
        return {}
    check_source(Path(job["solution"]), tuple(job["forbidden"]), trusted=bool(job.get("trusted")))
    return stub_functions(Path(job["stub"]))


def _run(job: dict, boxes: Boxes, send) -> dict:
    import torch

    # Suites call on tiny tensors, where intra-op threads cost more in synchronisation than they save.
    torch.set_num_threads(1)
    suite = suites.load(job["root"], job["suite"])
    candidate = boxes.get("candidate")
    try:
        loaded = candidate.wait_loaded(LOAD_TIMEOUT_S)
    except LoadFailed as exc:
        return {"type": "done", "status": exc.status, "message": str(exc)}
    except BoxGone as exc:
        return {"type": "done", "status": "crashed", "message": exc.message + " while loading the solution"}
    sandbox = {"official": bool(loaded.confinement.get("official")), "reason": str(loaded.confinement.get("reason", ""))}
    solution = Solution(candidate, loaded.functions, job.get("display") or job["solution"], job["track"])
    if job.get("mode") == "bench":
        return {"type": "done", "bench": run_bench(suite, candidate, boxes.get("reference"), job), "sandbox": sandbox}

    requested = set(job.get("only") or ())
    # Speed and memory are measured only once every property passes, so asking for one of them
    # (a replay command does) runs all the properties and then just that measurement.
    measurements = requested & set(MEASUREMENTS)
    only = set() if measurements else requested
    known = {p.id for p in suite.properties}
    if only - known:
        return {"type": "done", "status": "error",
                "message": f"no property named {', '.join(sorted(only - known))}; this suite has: "
                           f"{', '.join(p.id for p in suite.properties)}"}
    properties = [p for p in suite.properties
                  if (not only or p.id in only) and (p.tracks is None or job["track"] in p.tracks)]
    statuses = []
    limit = float(job.get("time_limit_s") or 60)
    deadline = _clock() + limit
    for prop in properties:
        # A quarter of the time limit at most, and never so much that the properties after this
        # one cannot run: half of what is left once a fifth of the limit is set aside.
        budget = max(1.0, min(limit / 4, (deadline - _clock() - limit / 5) / 2))
        result = run_property(prop, solution, job["profile"], job.get("seed"), validating=bool(job.get("trusted")),
                              shrink_budget_s=budget, shrink=job.get("shrink", True))
        send({"type": "test", **result})
        statuses.append(result["status"])
        if result.pop("stop") or result["status"] in FINAL:
            return {"type": "done", "status": result["status"], "message": result["message"], "sandbox": sandbox}
        if job.get("exitfirst") and result["status"] == "failed":
            left = len(properties) - len(statuses)
            return {"type": "done", "sandbox": sandbox,
                    "note": f"stopped at the first failing property (--exitfirst); {left} more not run" if left else ""}
    ready = set(statuses) <= {"passed"}

    def wanted(name: str) -> bool:
        return ready and (name in measurements if requested else True) and bool(job["extra"].get(name))

    if wanted("speed") and suite.benchmark is not None:
        send({"type": "test", **run_speed(suite, candidate, boxes.get("reference"), job, job["extra"]["speed"])})
    if wanted("memory") and suite.memory_benchmark is not None:
        from grader.memory import growth_sizes, run_memory

        memory = job["extra"]["memory"]
        growth_boxes = tuple(boxes.get(f"candidate-memory-{rows}") for rows in growth_sizes(memory))
        memory_boxes = [boxes.get("candidate-memory"), boxes.get("reference-memory")]
        try:
            for b in (*memory_boxes, *growth_boxes):
                b.wait_loaded(LOAD_TIMEOUT_S)
            test = run_memory(suite.memory_benchmark, *memory_boxes, job, memory, growth_boxes)
        except (LoadFailed, BoxGone) as exc:
            test = {"name": "memory", "description": "extra peak memory", "status": "failed",
                    "message": f"the memory run could not start: {exc}", "duration_s": 0.0}
        send({"type": "test", **test})
    return {"type": "done", "sandbox": sandbox}


def _timed_function(suite, candidate: Box) -> str:
    functions = list(candidate.loaded.functions)
    return suite.name if suite.name in functions else functions[0]


def _prepare_timing(reference: Box | None, candidate: Box) -> None:
    from grader.wire import Kind, Message

    if reference is None:
        raise ValueError("no reference box was started for timing")
    reference.wait_loaded(LOAD_TIMEOUT_S)
    threads = os.cpu_count() or 1  # the reference runs at full speed; so may the solution
    for b in (candidate, reference):
        b.request(Message(Kind.THREADS, {"threads": threads}))


def _clock_for(job: dict) -> str:
    """CPU time where all the work is on the CPU; with a GPU, whose work no CPU clock sees, the wall clock."""
    return "wall" if job.get("gpu") else "cpu"


def run_speed(suite, candidate: Box, reference: Box | None, job: dict, speed: dict) -> dict:
    """The "speed" test: graded against the threshold for kernel tracks, reported for python."""
    from grader.timing import CLEAR_MISS, clear_miss, grade_speed

    size = max(speed.get("sizes", [1000]))
    threshold = float(speed.get("threshold", float("inf")))
    graded = bool(speed.get("graded", False))
    started = _clock()
    try:
        _prepare_timing(reference, candidate)
        ok, measurements = grade_speed(candidate, reference, suite.benchmark, size,
                                       threshold if graded else float("inf"), seed=job.get("seed") or 0,
                                       function=_timed_function(suite, candidate), clock=_clock_for(job))
    except BaseException as exc:  # noqa: BLE001 - a timed run that fails its check is a failure like any other
        status, message = describe_failure(exc, "speed")
        return {"name": "speed", "description": "timed runs are correct and fast enough", "status": status,
                "message": f"during timing: {message}", "duration_s": round(_clock() - started, 4)}
    last = measurements[-1]
    how = (f"{'time on a CPU' if last.clock == 'cpu' else 'wall-clock time'}, each less "
           f"{last.overhead_s * 1e3:.2f} ms of call overhead")
    text = (f"{last.ratio:.2f}× the reference's time at size {size} "
            f"(median of {last.repeats}, spread ±{last.spread * 50:.0f}%; you {last.candidate_s * 1e3:.2f} ms, "
            f"reference {last.reference_s * 1e3:.2f} ms, {how})")
    if graded:
        margin = threshold / last.ratio if last.ratio else float("inf")
        text += f"; threshold {threshold:g}×, margin {margin:.2f}×"
        if len(measurements) > 1:
            text += f"; measured {len(measurements)} times: " + ", ".join(f"{m.ratio:.2f}×" for m in measurements)
        if not ok and clear_miss(last, threshold):
            text += f"; a clear miss (even the fastest quarter of the runs took over {CLEAR_MISS:g}× the threshold), so not measured again"
    else:
        text += "; reported, not graded"
    return {
        "name": "speed",
        "description": f"at most {threshold:g}× the reference's time" if graded else "speed, reported only",
        "status": "passed" if ok else "failed",
        "message": text,
        "duration_s": round(_clock() - started, 4),
        "speed": {"ratio": last.ratio, "threshold": threshold if graded else None, "size": size,
                  "candidate_s": last.candidate_s, "reference_s": last.reference_s, "spread": last.spread, "overhead_s": last.overhead_s,
                  "clock": last.clock, "attempts": [m.ratio for m in measurements], "graded": graded},
    }


def run_bench(suite, candidate: Box, reference: Box | None, job: dict) -> list[dict]:
    """Time the solution and the reference at every size of the challenge's speed section."""
    from grader.timing import measure

    if suite.benchmark is None:
        raise ValueError(f"the {suite.name} suite declares no benchmark")
    _prepare_timing(reference, candidate)
    function = _timed_function(suite, candidate)
    rows = []
    for size in job["sizes"]:
        m = measure(candidate, reference, suite.benchmark, size, seed=job.get("seed") or 0, function=function,
                    clock=_clock_for(job))
        work = suite.benchmark.work(size)
        rows.append({"size": size, "candidate_s": m.candidate_s, "reference_s": m.reference_s, "ratio": m.ratio,
                     "spread": m.spread, "repeats": m.repeats, "throughput": work / m.candidate_s if m.candidate_s else 0.0,
                     "unit": suite.benchmark.unit})
    return rows
