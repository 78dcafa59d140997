"""Results for other tools: a Gradescope ``results.json``, a shields.io endpoint badge and a
Markdown summary for ``$GITHUB_STEP_SUMMARY``. (JSON and JUnit live in ``results.py``.)"""

from __future__ import annotations

import json
from pathlib import Path

from grader import __version__
from grader.results import ChallengeResult, RunResult

PASSING = ("passed",)
# The results files of `grader check --ci`, in its --results-dir.
CI_FILES = {"json": "cv-grader.json", "junit": "junit.xml", "gradescope": "results.json", "badge": "badge.json",
            "summary": "summary.md"}


# Gradescope's documented values (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
GRADESCOPE_VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")
GRADESCOPE_STATUS = ("passed", "failed")
# Where the replay commands go when the instructor hides them: Gradescope shows a test with this
# visibility to students only once the grades are published.
HIDDEN_REPLAY_VISIBILITY = "after_published"
# The note ``grader check`` adds when it writes results files; it names the seed, so it goes
# with the replays when those are hidden (a seed and a profile are a replay).
SEED_NOTE = "seed {seed} replays with "


def _failure_text(challenge: ChallengeResult, replays: bool = True) -> str:
    lines = [challenge.message] if challenge.message else []
    for test in challenge.failures:
        lines.append(_test_text(challenge, test, replays))
    return "\n".join(lines)


def _test_text(challenge: ChallengeResult, test, replays: bool = True) -> str:
    lines = [f"{test.name}: {test.message}" if test.message else f"{test.name}: {test.status}"]
    lines += [f"    {line}" for line in test.example[-8:]]
    if replays and challenge.replay.get(test.name):
        lines.append(f"    replay: {challenge.replay[test.name]}")
    return "\n".join(lines)


def gradescope(run: RunResult, *, hide_replay: bool = False, execution_time: float | None = None) -> dict:
    """Gradescope's autograder format: one test per challenge, full points only when it passed,
    then one test per property of it (worth nothing: the challenge carries the points, so the
    score is all-or-nothing per challenge as everywhere else) with its verdict and failure.

    ``hide_replay``: the replay commands and the seed stay out of everything a student sees
    before the grades are published; they go into one test of their own, visible to students
    only after publishing, and into ``extra_data`` (stored, shown to instructors)."""
    replays = not hide_replay
    tests = []
    for number, challenge in enumerate(run.challenges, start=1):
        passed = challenge.status in PASSING
        tests.append({
            "name": challenge.id + (f" — {challenge.title}" if challenge.title else ""),
            "number": str(number),
            "score": challenge.points if passed else 0,
            "max_score": challenge.points,
            "status": "passed" if passed else "failed",
            "visibility": "visible",
            "output": "\n".join(filter(None, [
                "" if passed else (_failure_text(challenge, replays) or challenge.status),
                *(m.text() for m in challenge.measurements),
            ])),
        })
        for part, test in enumerate(challenge.tests, start=1):
            ok = test.status in ("passed", "skipped")
            tests.append({
                "name": f"{challenge.id} › {test.name}",
                "number": f"{number}.{part}",
                "score": 0,
                "max_score": 0,
                "status": "passed" if ok else "failed",
                "visibility": "visible",
                "output": _test_text(challenge, test, replays) if not ok
                else f"{test.status}: {test.message}" if test.status == "skipped" else test.message,
            })
    all_replays = {f"{c.id} {name}": command for c in run.challenges for name, command in c.replay.items()}
    if hide_replay and all_replays:
        tests.append({
            "name": "replay commands (shown once grades are published)",
            "number": str(len(run.challenges) + 1),
            "score": 0,
            "max_score": 0,
            "status": "failed",
            "visibility": HIDDEN_REPLAY_VISIBILITY,
            "output": "\n".join(f"{name}: {command}" for name, command in all_replays.items()),
        })
    data = {
        "score": sum(c.points for c in run.challenges if c.status in PASSING),
        "max_score": sum(c.points for c in run.challenges),
    }
    if execution_time is not None:
        data["execution_time"] = max(0, round(execution_time))
    seed_note = SEED_NOTE.format(seed=run.seed)
    notes = [note for note in run.notes if replays or not note.startswith(seed_note)]
    head = f"profile {run.profile}" + (f", seed {run.seed}" if replays else "")
    head += f", cv-grader {__version__}, " + ("official" if run.official else "unofficial")
    notes.insert(0, head)
    if not run.official:
        reason = run.unofficial_reason or "the grader's files differ from the manifest"
        # official_run puts the reasons among the notes already: name them once.
        notes.insert(0, "UNOFFICIAL run" + ("" if any(reason in note for note in run.notes) else f": {reason}"))
    data.update({
        "output": "\n".join(notes),
        "output_format": "text",
        "visibility": "visible",
        # The grader's console output names every replay: students see it only when replays are shown.
        "stdout_visibility": "hidden" if hide_replay else "visible",
        "extra_data": {"grader_version": __version__, "seed": run.seed, "profile": run.profile,
                       "official": run.official, "unofficial_reason": run.unofficial_reason,
                       "versions": run.versions, "graded_at": run.graded_at, "replay_hidden": hide_replay,
                       "replays": all_replays},
        "tests": tests,
    })
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


def write_gradescope(run: RunResult, path: Path, **options) -> None:
    """``options``: ``hide_replay``, ``execution_time`` (see ``gradescope``)."""
    _write(path, json.dumps(gradescope(run, **options), indent=2) + "\n")


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
