"""What the grader remembers between runs, under ``.grader/``: the last verdict per challenge (for
``grader list``), the last full result of checking the candidate's own file and the last
``grader bench`` timings (for ``grader report``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from grader.catalog import Challenge


def folder(root: Path, *names: str) -> Path:
    """``<root>/.grader/<names...>``, made where missing, each level a folder of its own: a level
    that is a link or a file (a fork can commit .grader/) is removed and made anew, so that what the
    grader writes, and what pruning deletes, stays under the checkout."""
    path = root
    for name in (".grader", *names):
        path = path / name
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            path.unlink(missing_ok=True)  # missing: another build got there first
        path.mkdir(exist_ok=True)
    return path


def _path(root: Path) -> Path:
    return root / ".grader" / "state.json"


def fingerprint(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def load(root: Path) -> dict:
    try:
        return json.loads(_path(root).read_text())
    except (OSError, ValueError):
        return {}


def record(root: Path, challenge: Challenge, status: str, solution: Path) -> None:
    state = load(root)
    state[challenge.id] = {"status": status, "fingerprint": fingerprint(solution)}
    target = folder(root) / "state.json"
    target.write_text(json.dumps(state, indent=1, sort_keys=True))


def is_stub(challenge: Challenge, path: Path) -> bool:
    """Whether ``path`` still holds exactly the challenge's stub (a missing file counts as one)."""
    return not path.exists() or fingerprint(path) == fingerprint(challenge.stub_path)


def known_status(root: Path, challenge: Challenge, state: dict) -> str:
    """not_started, unchecked (edited since the last check) or the last verdict."""
    solution = challenge.solution_path
    if is_stub(challenge, solution):
        return "not_started"
    entry = state.get(challenge.id)
    if not entry or entry.get("fingerprint") != fingerprint(solution):
        return "unchecked"
    return entry["status"]


def save_result(root: Path, result) -> None:
    """The whole result of checking the candidate's own file (a ChallengeResult)."""
    from dataclasses import asdict

    (folder(root, "results") / f"{result.id}.json").write_text(json.dumps(asdict(result), indent=1))


def save_bench(root: Path, challenge: Challenge, rows: list[dict]) -> None:
    (folder(root, "bench") / f"{challenge.id}.json").write_text(json.dumps(rows, indent=1))


def saved(root: Path, kind: str, challenge: Challenge):
    """The saved "results" or "bench" record of ``challenge``, or None."""
    try:
        return json.loads((root / ".grader" / kind / f"{challenge.id}.json").read_text())
    except (OSError, ValueError):
        return None
