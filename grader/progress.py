"""Where the candidate stands: solved / attempted / not started, by area and by track, and the
next exercise in the catalog's order (what ``grader`` with no arguments shows, and what
``grader watch`` with no id follows)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from grader import state
from grader.availability import skip_reason
from grader.catalog import Challenge

SOLVED, ATTEMPTED, NOT_STARTED, CANNOT_RUN = "solved", "attempted", "not started", "cannot run here"


@dataclass
class Standing:
    challenge: Challenge
    status: str  # the last verdict, "unchecked" or "not_started" (grader.state)
    reason: str = ""  # why the track cannot run on this machine

    @property
    def kind(self) -> str:
        if self.reason:
            return CANNOT_RUN
        if self.status == "passed":
            return SOLVED
        return NOT_STARTED if self.status == "not_started" else ATTEMPTED


def standings(root: Path, catalog: list[Challenge]) -> list[Standing]:
    known = state.load(root)
    return [Standing(c, state.known_status(root, c, known), skip_reason(c.track) or "") for c in catalog]


def next_exercise(rows: list[Standing], after: Challenge | None = None) -> Challenge | None:
    """The first exercise in catalog order that is not solved and can run here (after ``after``,
    when given, wrapping around to the ones skipped before it)."""
    open_ = [r.challenge for r in rows if r.kind in (ATTEMPTED, NOT_STARTED)]
    if after is not None and after in [r.challenge for r in rows]:
        position = [r.challenge for r in rows].index(after)
        later = [c for c in open_ if [r.challenge for r in rows].index(c) > position]
        return (later or [c for c in open_ if c != after] or [None])[0]
    return open_[0] if open_ else None


def tally(rows: list[Standing], key) -> dict[str, Counter]:
    """{group: Counter(kind)} with ``key(challenge)`` as the group."""
    groups: dict[str, Counter] = {}
    for row in rows:
        groups.setdefault(key(row.challenge), Counter())[row.kind] += 1
    return groups


def bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)
