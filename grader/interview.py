"""Interview mode: one exercise against the clock, hints hidden, checked on every save, and a
debrief at the end (time to the first passing check, how many checks, which properties failed on
the way, the statement's follow-up questions, the kernel-track follow-up). Interviews are kept in
``.grader/interviews.json``; the one under way in ``.grader/interview.json``, so that ``grader
hint`` can refuse until it ends."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader import state
from grader.catalog import Challenge

KERNEL_TRACKS = ("numba", "cpp", "numba-cuda", "cuda")


@dataclass
class Interview:
    challenge: str
    minutes: float
    started: float = field(default_factory=time.time)
    checks: int = 0
    passed_after_s: float | None = None
    failed_properties: list[str] = field(default_factory=list)  # in the order they first failed
    ended_after_s: float | None = None

    @property
    def ends_at(self) -> float:
        return self.started + self.minutes * 60

    def left_s(self) -> float:
        return max(0.0, self.ends_at - time.time())

    def outcome(self) -> str:
        if self.passed_after_s is not None:
            return f"passed in {clock(self.passed_after_s)}"
        return f"not passed in {clock(self.minutes * 60)}"

    def record(self, result) -> None:
        """One check's result (a ChallengeResult)."""
        self.checks += 1
        for test in result.failures:
            if test.status != "not_started" and test.name not in self.failed_properties:
                self.failed_properties.append(test.name)
        if result.status == "passed" and self.passed_after_s is None:
            self.passed_after_s = time.time() - self.started


def _folder(root: Path) -> Path:
    return root / ".grader"


def active(root: Path) -> Interview | None:
    """The interview under way (not past its time), if any."""
    try:
        interview = Interview(**json.loads((_folder(root) / "interview.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return interview if interview.left_s() > 0 and interview.ended_after_s is None else None


def begin(root: Path, interview: Interview) -> None:
    (state.folder(root) / "interview.json").write_text(json.dumps(asdict(interview)))


def finish(root: Path, interview: Interview) -> None:
    interview.ended_after_s = time.time() - interview.started
    (state.folder(root) / "interview.json").unlink(missing_ok=True)
    history = past(root)
    history.append(interview)
    (state.folder(root) / "interviews.json").write_text(json.dumps([asdict(i) for i in history], indent=1))


def past(root: Path) -> list[Interview]:
    try:
        return [Interview(**entry) for entry in json.loads((_folder(root) / "interviews.json").read_text())]
    except (OSError, ValueError, TypeError):
        return []


def follow_up_questions(challenge: Challenge) -> list[str]:
    """The numbered items of the statement's "Follow-up questions" section, one string each."""
    text = challenge.statement_path.read_text()
    section = text.split("## Follow-up questions", 1)[1].split("\n## ", 1)[0] if "## Follow-up questions" in text else ""
    items = re.split(r"\n(?=\d+\. )", "\n" + section.strip())
    return [" ".join(item.split()) for item in items if item.strip()]


def kernel_follow_up(challenge: Challenge, catalog: list[Challenge]) -> list[Challenge]:
    """The kernel tracks of the same op, for a python-track exercise."""
    if challenge.track != "python":
        return []
    return [c for c in catalog if c.suite == challenge.suite and c.track in KERNEL_TRACKS]


def pick(catalog: list[Challenge], standings: list, area: str | None) -> Challenge | None:
    """An unsolved exercise that runs here (of ``area`` when given): the first in catalog order."""
    from grader import progress

    return progress.next_exercise([r for r in standings if area is None or r.challenge.area == area])


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def conduct(root: Path, challenge: Challenge, minutes: float, *, check, console, poll: bool = False) -> Interview:
    """One interview: the solution is checked on every save (``check([challenge])`` returns the
    run) until a check passes or the clock runs out, with the time left shown as it goes."""
    import threading

    from grader.watching import watch_and_check

    interview = Interview(challenge=challenge.id, minutes=minutes)
    begin(root, interview)
    stopped = threading.Event()

    def tick() -> None:
        # A visible clock: every minute, and every 10 seconds in the last minute.
        while not stopped.wait(10 if interview.left_s() <= 60 else 60):
            if interview.left_s() > 0:
                console.print(f"[dim]⏱ {clock(interview.left_s())} left[/dim]")

    def recheck(changed: list[Challenge]) -> bool:
        console.rule(f"{time.strftime('%H:%M:%S')} · ⏱ {clock(interview.left_s())} left")
        run = check(changed)
        result = run.challenges[0]
        if result.status != "not_started":
            interview.record(result)
        return run.passed

    threading.Thread(target=tick, daemon=True).start()
    try:
        watch_and_check([challenge], recheck, poll=poll, console=console, advance=lambda current: [],
                        stop=lambda: interview.left_s() <= 0)
    finally:
        stopped.set()
        finish(root, interview)
    return interview


def debrief(interview: Interview, challenge: Challenge, catalog: list[Challenge], console) -> None:
    """What the candidate reads when the clock stops: the outcome, what failed on the way, and
    what an interviewer would ask next."""
    from rich.markup import escape

    console.rule(f"Debrief: {challenge.id}")
    if interview.passed_after_s is not None:
        console.print(f"[green]Passed[/green] after {clock(interview.passed_after_s)} "
                      f"of {clock(interview.minutes * 60)}, in {interview.checks} check(s).")
    else:
        console.print(f"[red]Not passed[/red] in {clock(interview.minutes * 60)}; {interview.checks} check(s).")
    failed = ", ".join(interview.failed_properties) or "none"
    console.print(f"Properties that failed on the way: {failed}")
    questions = follow_up_questions(challenge)
    if questions:
        console.print("[bold]Follow-up questions[/bold] (what the interviewer asks next):")
        for question in questions:
            console.print(f"  {escape(question)}")
    kernels = kernel_follow_up(challenge, catalog)
    if kernels:
        names = ", ".join(f"{c.id} ({c.track})" for c in kernels)
        console.print(f"[bold]Kernel follow-up:[/bold] the same op as a kernel: {names}. "
                      f"`grader interview {kernels[0].id}` when you are ready.")
    console.print(f"[dim]grader interview --reveal   the reference solution of {challenge.id}[/dim]")
