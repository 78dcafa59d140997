"""Tamper-evidence: SHA-256 hashes of the grader's own files, checked before a run is official.

``grader manifest --write`` (maintainers) records every file under ``tests/``, ``reference/``,
``grader/`` and ``csrc/`` in ``grader/manifest.json``; ``grader check`` recomputes the hashes and
marks the run unofficial when any file was changed, removed or added. This shows edits, it does
not prevent them: someone who edits the grader can edit the manifest too, which is why official
grading runs from an upstream checkout (``grader grade-fork``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

FOLDERS = ("tests", "reference", "grader", "csrc")
MANIFEST = Path("grader") / "manifest.json"
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", "build", ".grader"}
SKIP_SUFFIXES = (".so", ".pyd", ".pyc", ".pyo", ".o", ".egg-info")
MAX_NAMED = 10


def _skipped(relative: Path) -> bool:
    if relative == MANIFEST:
        return True
    if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in relative.parts[:-1]):
        return True
    return relative.name.endswith(SKIP_SUFFIXES)


def file_hash(path: Path) -> str:
    # Line endings are normalised so a Windows checkout (autocrlf) hashes like a Linux one.
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def compute(root: Path) -> dict[str, str]:
    """Relative POSIX path -> SHA-256 of every grader file under ``root``."""
    files = {}
    for folder in FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not _skipped(relative):
                files[relative.as_posix()] = file_hash(path)
    return files


def write(root: Path) -> Path:
    target = root / MANIFEST
    data = {"algorithm": "sha256", "folders": list(FOLDERS), "files": compute(root)}
    target.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return target


def load(root: Path) -> dict[str, str] | None:
    try:
        return json.loads((root / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass
class Diff:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.extra)

    def describe(self, limit: int = MAX_NAMED) -> str:
        named = [f"changed {p}" for p in self.changed] + [f"missing {p}" for p in self.missing]
        named += [f"extra {p}" for p in self.extra]
        text = ", ".join(named[:limit])
        if len(named) > limit:
            text += f" and {len(named) - limit} more"
        return text


def diff(expected: dict[str, str], actual: dict[str, str]) -> Diff:
    return Diff(
        changed=sorted(p for p in expected.keys() & actual.keys() if expected[p] != actual[p]),
        missing=sorted(expected.keys() - actual.keys()),
        extra=sorted(actual.keys() - expected.keys()),
    )


def verify(root: Path) -> str | None:
    """None when the checkout matches its manifest, else a note saying what differs."""
    expected = load(root)
    if expected is None:
        return f"no readable {MANIFEST.as_posix()}: the grader's files could not be verified"
    found = diff(expected, compute(root))
    if not found:
        return None
    return f"the grader's files differ from {MANIFEST.as_posix()}: {found.describe()}"
