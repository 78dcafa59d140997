"""Grading a candidate's fork with the upstream's tests, so edits to the grader cannot help.

The upstream is cloned at a pinned ref into a temporary folder; only ``challenges/<id>/solution.*``
files are copied in from the fork; ``grader check --ci`` runs there, in a process whose working
directory and ``CV_GRADER_ROOT`` are that clone, so the worker imports the clone's
``tests/suites``. The ``grader`` and ``reference`` packages are the installed ones: in CI, install
them from the upstream checkout (``scripts/setup.sh`` there), never from the fork.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader import manifest
from grader.catalog import ROOT_ENV, SOLUTION_SUFFIX

SOLUTION_NAMES = sorted({f"solution{suffix}" for suffix in SOLUTION_SUFFIX.values()})
MAX_NAMED = 10


class ForkError(Exception):
    """The upstream could not be cloned at the ref, or the fork is not a checkout."""


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def clone(upstream: str, ref: str, target: Path) -> str:
    """Clone ``upstream`` into ``target`` with ``ref`` checked out; returns the commit."""
    done = _git("clone", "--quiet", "--no-checkout", upstream, str(target))
    if done.returncode != 0:
        raise ForkError(f"could not clone {upstream}: {done.stderr.strip()}")
    for candidate in (ref, f"origin/{ref}"):
        if _git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=target).returncode == 0:
            break
    else:
        fetched = _git("fetch", "--quiet", "origin", ref, cwd=target)
        if fetched.returncode != 0:
            raise ForkError(f"{upstream} has no ref {ref!r}: {fetched.stderr.strip()}")
        candidate = "FETCH_HEAD"
    done = _git("checkout", "--quiet", "--detach", candidate, cwd=target)
    if done.returncode != 0:
        raise ForkError(f"could not check out {ref} of {upstream}: {done.stderr.strip()}")
    return _git("rev-parse", "HEAD", cwd=target).stdout.strip()


def copy_solutions(fork: Path, target: Path) -> tuple[list[str], list[str]]:
    """Copy the fork's solution files for the upstream's challenges; (copied, ignored) paths."""
    copied, ignored = [], []
    for folder in sorted((fork / "challenges").glob("*")):
        for name in SOLUTION_NAMES:
            source = folder / name
            relative = f"challenges/{folder.name}/{name}"
            if not (source.exists() or source.is_symlink()):
                continue
            if source.is_symlink() or not source.is_file():
                ignored.append(f"{relative} (not a regular file)")
            elif not (target / "challenges" / folder.name / "challenge.toml").is_file():
                ignored.append(f"{relative} (no such challenge upstream)")
            else:
                shutil.copyfile(source, target / relative)
                copied.append(relative)
    return copied, ignored


def edited_files(fork: Path, upstream: Path) -> list[str]:
    """The fork's files under tests/, reference/, grader/ and csrc/ that differ from the upstream's."""
    found = manifest.diff(manifest.compute(upstream), manifest.compute(fork))
    return found.changed + found.missing + found.extra


def _names(paths: list[str]) -> str:
    shown = ", ".join(paths[:MAX_NAMED])
    return shown + (f" and {len(paths) - MAX_NAMED} more" if len(paths) > MAX_NAMED else "")


def grade(upstream: str, ref: str, fork: Path, results_dir: Path, *, ids: list[str], tracks: list[str], echo=print) -> int:
    """Grade ``fork``'s solutions in a clone of ``upstream`` at ``ref``; the exit status of the check."""
    if not (fork / "challenges").is_dir():
        raise ForkError(f"{fork} has no challenges/ folder; --fork must be the candidate's checkout")
    with tempfile.TemporaryDirectory(prefix="cvg-upstream-") as tmp:
        target = Path(tmp) / "upstream"
        commit = clone(upstream, ref, target)
        copied, ignored = copy_solutions(fork, target)
        edited = edited_files(fork, target)
        notes = [f"graded with upstream {upstream} at {ref} ({commit[:12]})"]
        if edited:
            notes.append(f"graded with the upstream versions: the fork's edits to {_names(edited)} were ignored")
        if ignored:
            notes.append(f"not graded: {_names(ignored)}")
        echo(f"grading {len(copied)} solution file(s) from {fork} with {upstream} at {ref} ({commit[:12]})")
        command = [sys.executable, "-m", "grader", "check", *ids, "--ci", "--results-dir", str(results_dir)]
        for track in tracks:
            command += ["--track", track]
        for note in notes:
            command += ["--note", note]
        env = {k: v for k, v in os.environ.items() if k != ROOT_ENV}
        env[ROOT_ENV] = str(target)
        return subprocess.run(command, cwd=target, env=env).returncode
