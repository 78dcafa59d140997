"""Grading a candidate's fork with the upstream's tests, so edits to the grader cannot help.

The upstream is cloned at a pinned ref into a temporary folder; only ``challenges/<id>/solution.*``
files are copied in from the fork; ``grader check --ci`` runs there, in a process whose working
directory and ``CV_GRADER_ROOT`` are that clone, so the catalog and the mutants are the clone's.
The ``grader`` (with its suites) and ``reference`` packages are the installed ones: in CI, install
them from the upstream checkout (``scripts/setup.sh`` there), never from the fork.

A solution is copied only when it is a regular file whose every folder on the way
(``challenges``, ``challenges/<id>``) is a real folder: symbolic links are never followed, so a
fork cannot point the grader at the reference, at ``/etc/passwd`` or at a crafted folder. Links,
oversized files and files that are not UTF-8 text are not graded and are named in the summary.
The results record the upstream commit the ref resolved to.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from grader import manifest
from grader.catalog import ROOT_ENV, SOLUTION_SUFFIX

SOLUTION_NAMES = sorted({f"solution{suffix}" for suffix in SOLUTION_SUFFIX.values()})
MAX_NAMED = 10
# A solution is a page or two of code; anything larger is refused, not graded.
MAX_SOLUTION_BYTES = 1_000_000
# The installed grader's CLI, whatever the working directory holds.
RUN_GRADER = "import sys; del sys.path[0]; sys.argv[0] = 'grader'; from grader.cli import main; main()"


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


def _read_solution(source: Path) -> tuple[bytes | None, str]:
    """The bytes of a fork's solution file, or None and why it is not graded. Never follows a link."""
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, "a symbolic link" if os.path.islink(source) else f"unreadable: {exc.strerror}"
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > MAX_SOLUTION_BYTES:
            return None, f"{info.st_size} bytes, over the {MAX_SOLUTION_BYTES // 1_000_000} MB limit"
        data = f.read(MAX_SOLUTION_BYTES + 1)
    if len(data) > MAX_SOLUTION_BYTES:
        return None, f"over the {MAX_SOLUTION_BYTES // 1_000_000} MB limit"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {exc.start})"
    return data, ""


def copy_solutions(fork: Path, target: Path) -> tuple[list[str], list[str]]:
    """Copy the fork's solution files for the upstream's challenges; (copied, ignored) paths.

    Only regular files ``challenges/<id>/solution.<ext>`` under real folders are copied: a
    symbolic link anywhere on the way (the challenge folder, the file) is named and skipped."""
    copied, ignored = [], []
    challenges = fork / "challenges"
    if challenges.is_symlink() or not challenges.is_dir():
        return [], ["challenges (not a real folder; nothing under it is graded)"]
    for entry in sorted(os.scandir(challenges), key=lambda e: e.name):
        relative = f"challenges/{entry.name}"
        if entry.is_symlink():
            ignored.append(f"{relative} (a symbolic link; nothing under it is graded)")
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        for name in SOLUTION_NAMES:
            source = Path(entry.path) / name
            path = f"{relative}/{name}"
            try:
                mode = os.lstat(source).st_mode
            except FileNotFoundError:
                continue
            except OSError as exc:
                ignored.append(f"{path} (unreadable: {exc.strerror})")
                continue
            if stat.S_ISLNK(mode):
                ignored.append(f"{path} (a symbolic link)")
                continue
            if not stat.S_ISREG(mode):
                ignored.append(f"{path} (not a regular file)")
                continue
            upstream_folder = target / "challenges" / entry.name
            if not (upstream_folder / "challenge.toml").is_file():
                ignored.append(f"{path} (no such challenge upstream)")
                continue
            data, why = _read_solution(source)
            if data is None:
                ignored.append(f"{path} ({why})")
                continue
            destination = upstream_folder / name
            if destination.is_symlink() or destination.exists():
                destination.unlink()
            destination.write_bytes(data)
            copied.append(path)
    return copied, ignored


def edited_files(fork: Path, upstream: Path) -> list[str]:
    """The fork's files that define grading (``grader.manifest``) and differ from the upstream's.
    Under a linked folder only the link is named, not every upstream file it hides."""
    theirs = manifest.compute(fork)
    links = [p for p, digest in theirs.items() if digest.startswith(manifest.LINK_PREFIX)]
    found = manifest.diff(manifest.compute(upstream), theirs)
    return [p for p in found.changed + found.missing + found.extra if not any(p.startswith(f"{link}/") for link in links)]


def names(paths: list[str]) -> str:
    """Paths for a note, at most ``MAX_NAMED`` of them; names a fork chose are shown quoted when odd."""
    # The fork chooses these names: one with a newline or a control character is shown quoted.
    shown = ", ".join(p if p.isprintable() else ascii(p) for p in paths[:MAX_NAMED])
    return shown + (f" and {len(paths) - MAX_NAMED} more" if len(paths) > MAX_NAMED else "")


def check_in(target: Path, results_dir: Path, *, ids: list[str], tracks: list[str], notes: list[str],
             options: list[str] = ()) -> int:
    """``grader check --ci`` on the tree at ``target`` (its catalog, mutants and manifest), in a process
    of its own whose ``CV_GRADER_ROOT`` is ``target``; the exit status. ``options`` go to ``check``
    as they are (``--graded-commit=...``, ``--profile=thorough``)."""
    # Not `-m grader`: that puts the working directory, the clone, first on sys.path, and the
    # clone's grader/ and reference/ (which has no compiled kernels) would shadow the installed
    # packages. `-c` puts '' there, which the command takes off before importing.
    command = [sys.executable, "-c", RUN_GRADER, "check", *ids, "--ci", "--results-dir", str(results_dir), *options]
    for track in tracks:
        command += ["--track", track]
    command += [f"--note={note}" for note in notes]
    env = {k: v for k, v in os.environ.items() if k != ROOT_ENV}
    env[ROOT_ENV] = str(target)
    return subprocess.run(command, cwd=target, env=env).returncode


def grade(upstream: str, ref: str, fork: Path, results_dir: Path, *, ids: list[str], tracks: list[str], echo=print) -> int:
    """Grade ``fork``'s solutions in a clone of ``upstream`` at ``ref``; the exit status of the check."""
    challenges = fork / "challenges"
    if challenges.is_symlink():
        raise ForkError(f"{challenges} is a symbolic link; --fork must be the candidate's checkout, with a real challenges/ folder")
    if not challenges.is_dir():
        raise ForkError(f"{fork} has no challenges/ folder; --fork must be the candidate's checkout")
    with tempfile.TemporaryDirectory(prefix="cvg-upstream-") as tmp:
        target = Path(tmp) / "upstream"
        commit = clone(upstream, ref, target)
        copied, ignored = copy_solutions(fork, target)
        edited = edited_files(fork, target)
        notes = [f"graded with upstream {upstream} at {ref}, commit {commit}"]
        if edited:
            notes.append(f"graded with the upstream versions: the fork's edits to {names(edited)} were ignored")
        if ignored:
            notes.append(f"not graded: {names(ignored)}")
        echo(f"grading {len(copied)} solution file(s) from {fork} with {upstream} at {ref} (commit {commit})")
        return check_in(target, results_dir, ids=ids, tracks=tracks, notes=notes,
                        options=[f"--graded-upstream={upstream}", f"--graded-ref={ref}", f"--graded-commit={commit}"])
