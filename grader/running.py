"""Running each challenge: a judge process of its own, with a wall-clock limit.

Judges fork from a server that has already imported torch and hypothesis, so a challenge costs
its own run time, not another interpreter start. The judge forks the candidate's box
(``grader.worker``, ``grader.box``); a hang anywhere ends at the limit, and the parent turns it
into a verdict and goes on. What the judge sends is JSON, read only after its token is checked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import tempfile
import time
from pathlib import Path

from grader.availability import gpu_present
from grader.catalog import Challenge
from grader.profiles import TIME_SCALE
from grader.results import MEASURED_AS, ChallengeResult, Measurement, TestResult, measurement_from

GPU_TRACKS = ("cuda", "numba-cuda")


def uses_gpu(challenge: Challenge) -> bool:
    """Whether the challenge's boxes get the GPU (and are timed by the wall clock). Only the GPU
    tracks' do: the driver needs write grants and a memory cap (RLIMIT_DATA) that, unlike the CPU
    boxes' RLIMIT_AS, does not count shared mappings."""
    return challenge.track in GPU_TRACKS and gpu_present()

_PRELOAD = ["numpy", "torch", "hypothesis", "grader.worker"]
_context = None
OUTPUT_TAIL = 4000
SANDBOX_ENV = "CVG_SANDBOX"
MAX_MESSAGE_BYTES = 64 << 20  # one result from the judge; a failure message is a few KB


def _ctx():
    global _context
    if _context is None:
        # Read by OpenMP once, when the fork server's torch loads it, and inherited by every judge
        # and box: threads waiting for work sleep instead of spinning, so that a box's idle threads
        # take no CPU from its busy ones, or from a loaded machine. Both boxes alike.
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(_PRELOAD)
    return _context


def start_workers() -> None:
    """Start the fork server (and its imports) once, before threads start grading in parallel."""
    from multiprocessing import forkserver

    _ctx()
    forkserver.ensure_running()


def _child(job: dict, conn, secrets_conn) -> None:
    from grader.worker import grade

    grade(job, conn.send_bytes, secrets_conn.recv_bytes)
    conn.close()


def _aggregate(tests: list[TestResult]) -> str:
    if not tests:
        return "passed"
    statuses = {t.status for t in tests}
    if statuses == {"not_started"}:
        return "not_started"
    for status in ("internal", "error"):
        if status in statuses:
            return status
    if statuses <= {"passed", "skipped"}:
        return "passed" if "passed" in statuses else "skipped"
    return "failed"


def grade_challenge(
    challenge: Challenge,
    root: Path,
    solution: Path,
    *,
    profile: str = "quick",
    seed: int | None = None,
    only: list[str] | None = None,
    trusted: bool = False,
    time_limit_s: float | None = None,
    bench_sizes: list[int] | None = None,
    shrink: bool = True,
    exitfirst: bool = False,
) -> ChallengeResult:
    """Grade ``solution`` in a judge of its own. ``shrink``: off when only the verdict matters (the
    smallest failing input is for a candidate to read). ``exitfirst``: stop at the first property
    that does not pass, so a failing run is quicker and lists one failure; a pass is unchanged."""
    if challenge.track in ("cpp", "cuda"):
        prepared = _build(challenge, root, solution)
        if isinstance(prepared, ChallengeResult):
            return prepared
        module = str(prepared)
    else:
        module = None
    token = secrets.token_hex(16)
    limit = time_limit_s or challenge.time_limit_s * TIME_SCALE[profile]
    with tempfile.NamedTemporaryFile(prefix="cvg-output-", suffix=".txt", delete=False) as out:
        output_path = out.name
    job = {
        "root": str(root),
        "suite": challenge.suite,
        "track": challenge.track,
        "id": challenge.id,
        "solution": str(Path(solution).absolute()),
        "display": str(solution),
        "stub": str(challenge.stub_path),
        "folder": str(challenge.folder),
        "forbidden": list(challenge.forbidden),
        "profile": profile,
        "only": only or [],
        "trusted": trusted,
        "shrink": shrink,
        "exitfirst": exitfirst,
        "memory_limit_mb": challenge.memory_limit_mb,
        "cpu_limit_s": int(limit * (os.cpu_count() or 1) * 2) + 30,
        "time_limit_s": limit,
        "output": output_path,
        "extra": challenge.extra,
        "module": module,
        "exports": list(challenge.extra.get("exports", ())),
        "gpu": uses_gpu(challenge),
        # "off": boxes stay separate processes but are not confined; such runs are never official
        "sandbox": os.environ.get(SANDBOX_ENV, "on") != "off",
        "mode": "bench" if bench_sizes else "check",
        "sizes": bench_sizes or [],
    }
    ctx = _ctx()
    receive, send = ctx.Pipe(duplex=False)
    # The seed and the token travel apart from the job: the judge reads them only after it has
    # forked the candidate's box, so no box's memory ever holds them.
    secrets_receive, secrets_send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(job, send, secrets_receive), daemon=True)
    started = time.monotonic()
    process.start()
    send.close()
    secrets_receive.close()
    secrets_send.send_bytes(json.dumps({"token": token, "seed": seed}).encode())
    secrets_send.close()
    tests: list[TestResult] = []
    done: dict | None = None
    measurements: list[Measurement] = []
    sandbox = None
    timed_out = False
    while done is None:
        remaining = limit - (time.monotonic() - started)
        if remaining <= 0:
            timed_out = True
            break
        try:
            ready = receive.poll(min(remaining, 0.5))
        except (EOFError, OSError):
            break
        if not ready:
            if not process.is_alive() and not receive.poll(0):
                break
            continue
        try:
            message = printable(json.loads(receive.recv_bytes(MAX_MESSAGE_BYTES)))
        except (EOFError, OSError, ValueError):
            break
        if not isinstance(message, dict) or message.get("token") != token:
            continue
        if message["type"] == "test":
            fields = {k: message[k] for k in TestResult.__dataclass_fields__ if k in message}
            tests.append(TestResult(**fields))
            measurements += [measurement_from(name, message[name], message.get("status", ""))
                             for name in MEASURED_AS if isinstance(message.get(name), dict)]
        elif message["type"] == "done":
            done = message
            sandbox = message.get("sandbox") or sandbox
    if process.is_alive():
        process.kill()
    process.join(5)
    receive.close()
    duration = time.monotonic() - started
    output = _read_tail(output_path)

    result = ChallengeResult(
        id=challenge.id, status="passed", duration_s=round(duration, 3), tests=tests, title=challenge.title,
        track=challenge.track, solution=str(solution), output=output, points=challenge.points,
        measurements=measurements, sandbox=sandbox,
    )
    if timed_out:
        running = _next_property(tests)
        result.status = "timeout"
        result.message = f"stopped after the {limit:g} s limit" + (f" while checking {running}" if running else "") + " (an infinite loop, or far too slow?)"
    elif done is None:
        code = process.exitcode
        result.status = "crashed"
        if code is not None and code < 0:
            result.message = f"the solution's process was killed by signal {-code} ({_signal_name(-code)})"
        else:
            result.message = (
                f"the solution's process exited with status {code} before grading finished "
                "(does the solution call sys.exit, os._exit or quit?)"
            )
    elif "bench" in done:
        result.status = "passed"
        result.bench = done["bench"]
    elif done.get("status"):
        result.status = done["status"]
        result.message = done.get("message", "")
    else:
        result.status = _aggregate(tests)
        result.message = str(done.get("note") or "")
    return result


def _build(challenge: Challenge, root: Path, solution: Path):
    """The built module's path, or a finished result: a compile error, or no GPU to run on."""
    from grader.building import BuildError, build

    started = time.monotonic()
    base = dict(id=challenge.id, title=challenge.title, track=challenge.track, solution=str(solution), points=challenge.points)
    try:
        module = build(root, challenge, solution)
    except BuildError as exc:
        return ChallengeResult(status="error", message=str(exc), duration_s=round(time.monotonic() - started, 3), **base)
    if challenge.track == "cuda" and not gpu_present():
        return ChallengeResult(status="skipped", message="compiled without errors; no GPU here to run it on",
                               duration_s=round(time.monotonic() - started, 3), **base)
    return module


def _next_property(tests: list[TestResult]) -> str:
    return f"the property after {tests[-1].name}" if tests else "the first property"


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def printable(value):
    """``value`` with every lone surrogate written out as ``\\udXXX``. JSON can carry one (a
    candidate's exception text, "\\ud800"), and no terminal, results file or XML writer can encode
    it: left in, it would crash the report after grading and lose every verdict of the run."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    return value


def _read_tail(path: str) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - OUTPUT_TAIL))
            text = f.read().decode("utf-8", "replace")
        return text
    except OSError:
        return ""
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
