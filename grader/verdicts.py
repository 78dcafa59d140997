"""How an exception that ends a property, a measurement or the judge becomes a status and a message.

Shared by the judge (``grader.worker``) and the measurements (``grader.memory``, ``grader.timing``),
so that the same failure reads the same wherever it happens, and whose fault it is stays clear: the
candidate's (failed, crashed, forbidden), the solution's process (error) or the grader's (internal).
"""

from __future__ import annotations

from pathlib import Path

from grader.remote import BoxGone, ForbiddenUsed
from grader.suite import CandidateAborted, CandidateRaised, NotStarted, PropertyFailure


def internal_error(exc: BaseException, root: Path) -> str:
    """What to say when the judge's own code (a suite, a benchmark's set-up, the grader) raised:
    whose fault it is, and the innermost frame in the project, so a maintainer can go straight there."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(root.resolve())] or frames
    where = ""
    if ours:
        path = Path(ours[-1].filename).resolve()
        shown = path.relative_to(root.resolve()) if path.is_relative_to(root.resolve()) else path.name
        where = f" at {shown}:{ours[-1].lineno}"
    return (f"the grader itself failed, not your code: {type(exc).__name__}: {exc}{where}. "
            "Please report it with this message")


def describe_failure(exc: BaseException, running: str) -> tuple[str, str]:
    """(status, message) for an exception that ended a property."""
    from hypothesis.errors import Flaky, HypothesisException

    if isinstance(exc, NotStarted):
        return "not_started", str(exc)
    if isinstance(exc, ForbiddenUsed):
        return "forbidden", str(exc)
    if isinstance(exc, BoxGone):
        return exc.status, exc.message
    if isinstance(exc, PropertyFailure):
        if exc.prop and exc.prop != running:
            return "failed", f"[{exc.prop}] {exc.message}"
        return "failed", exc.message
    if isinstance(exc, CandidateRaised):
        return "failed", str(exc)
    if isinstance(exc, CandidateAborted):
        return "error", str(exc)
    if isinstance(exc, HypothesisException) and not isinstance(exc, Flaky):
        return "internal", f"the suite itself failed (a bug in the grader, not in your code): {type(exc).__name__}: {exc}"
    if isinstance(exc, Flaky):
        return "failed", "the same input gave different outcomes on different calls (is the solution deterministic?)"
    from grader.wire import WireError

    if isinstance(exc, WireError):
        return "failed", f"the solution's process sent back something malformed: {exc}"
    return "failed", f"checking the result raised {type(exc).__name__}: {exc} (is the output of the expected type?)"
