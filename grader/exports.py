"""Results for other tools: a Gradescope ``results.json``, a shields.io endpoint badge and a
Markdown summary for ``$GITHUB_STEP_SUMMARY``. (JSON and JUnit live in ``results.py``.)"""

from __future__ import annotations

import json
from pathlib import Path

from grader.results import ChallengeResult, RunResult

PASSING = ("passed",)


def _failure_text(challenge: ChallengeResult) -> str:
    lines = [challenge.message] if challenge.message else []
    for test in challenge.failures:
        lines.append(f"{test.name}: {test.message}" if test.message else f"{test.name}: {test.status}")
        lines += [f"    {line}" for line in test.example[-8:]]
        if challenge.replay.get(test.name):
            lines.append(f"    replay: {challenge.replay[test.name]}")
    return "\n".join(lines)


def gradescope(run: RunResult) -> dict:
    """Gradescope's autograder format: one test per challenge, full points only when it passed."""
    tests = []
    for challenge in run.challenges:
        passed = challenge.status in PASSING
        tests.append({
            "name": challenge.id + (f" — {challenge.title}" if challenge.title else ""),
            "score": challenge.points if passed else 0,
            "max_score": challenge.points,
            "status": "passed" if passed else "failed",
            "output": "\n".join(filter(None, [
                "" if passed else (_failure_text(challenge) or challenge.status),
                *(m.text() for m in challenge.measurements),
            ])),
        })
    data = {
        "score": sum(t["score"] for t in tests),
        "max_score": sum(t["max_score"] for t in tests),
        "tests": tests,
    }
    notes = [f"profile {run.profile}, seed {run.seed}", *run.notes]
    if not run.official:
        notes.insert(0, "UNOFFICIAL run: the grader's files differ from the manifest")
    data["output"] = "\n".join(notes)
    return data


def badge(run: RunResult) -> dict:
    """A shields.io endpoint badge: https://shields.io/badges/endpoint-badge."""
    total = len(run.challenges)
    passing = sum(c.status in PASSING for c in run.challenges)
    if total == 0:
        color = "lightgrey"
    elif passing == total:
        color = "brightgreen"
    elif passing:
        color = "yellow"
    else:
        color = "red"
    message = f"{passing}/{total} passing" + ("" if run.official else " (unofficial)")
    return {"schemaVersion": 1, "label": "cv-grader", "message": message, "color": color}


def speed_text(challenge: ChallengeResult) -> str:
    speed = challenge.measurement("speed")
    return f"{speed.ratio:.2f}×" if speed else "—"


def summary_markdown(run: RunResult) -> str:
    passing = sum(c.status in PASSING for c in run.challenges)
    head = f"{passing} of {len(run.challenges)} passing · profile {run.profile}"
    head += f" · seed {run.seed}" if run.seed is not None else ""
    head += "" if run.official else " · **unofficial**"
    lines = ["## cv-grader", "", head, ""]
    lines += [f"> {note}" for note in run.notes] + ([""] if run.notes else [])
    lines += ["| challenge | track | status | speed ratio |", "| --- | --- | --- | --- |"]
    for c in run.challenges:
        status = c.status.replace("_", " ")
        failing = ", ".join(t.name for t in c.failures if t.status != "not_started")
        if failing:
            status += f" ({failing})"
        lines.append(f"| {c.id} | {c.track} | {_cell(status)} | {speed_text(c)} |")
    return "\n".join(lines) + "\n\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_gradescope(run: RunResult, path: Path) -> None:
    _write(path, json.dumps(gradescope(run), indent=2) + "\n")


def write_badge(run: RunResult, path: Path) -> None:
    _write(path, json.dumps(badge(run)) + "\n")


def append_summary(run: RunResult, path: Path, extra: list[str] | None = None) -> None:
    """Append (``$GITHUB_STEP_SUMMARY`` is shared by every step of a job)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = summary_markdown(run)
    if extra:
        text += "\n".join(extra) + "\n\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
