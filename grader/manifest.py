"""Tamper-evidence: SHA-256 hashes of every file that defines grading, checked before a run.

``grader manifest --write`` (maintainers) records in ``grader/manifest.json`` every file under
``tests/``, ``reference/``, ``grader/`` (``grader/templates/`` included) and ``csrc/``, the
top-level ``CMakeLists.txt`` and ``pyproject.toml`` (how the reference kernels are built), and
every file of every challenge: ``challenge.toml``, ``stub.*``, ``harness.cpp``/``harness.cu``,
``adapter.py`` and anything else in the folder. Left out are the candidate's files,
``challenges/<id>/solution.*`` (``grader reset`` backups included), each challenge's
``README.md`` (the statement: read by people, never by the grader, so editing it cannot change a
verdict), the user's state in ``.grader/`` and build outputs.

``grader check`` recomputes the hashes before it grades and marks the run unofficial, naming the
files, when any was changed, removed or added. This shows edits, it does not prevent them:
someone who edits the grader can edit the manifest too, which is why official grading runs from
an upstream checkout (``grader grade-fork``).

Symbolic links are recorded as links (their target, never followed) and other non-regular files
as such, so hashing a fork's checkout never reads outside it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

FOLDERS = ("tests", "reference", "grader", "csrc", "challenges")
ROOT_FILES = ("CMakeLists.txt", "pyproject.toml")
MANIFEST = Path("grader") / "manifest.json"
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", "build", ".grader"}
SKIP_SUFFIXES = (".so", ".pyd", ".pyc", ".pyo", ".o", ".egg-info")
# Directly inside challenges/<id>/: the candidate's files and the statement.
CANDIDATE_PREFIX = "solution."
STATEMENT = "README.md"
# Where the grader imports its code from; checked against the manifest when it is not the checkout.
PACKAGES = ("grader", "reference")
# How a symbolic link is recorded: its target, never what it points at.
LINK_PREFIX = "symlink -> "
MAX_NAMED = 10
_CHUNK = 1 << 20


def _skipped(relative: Path) -> bool:
    if relative == MANIFEST:
        return True
    if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in relative.parts[:-1]):
        return True
    if len(relative.parts) == 3 and relative.parts[0] == "challenges":
        name = relative.name
        if name.startswith(CANDIDATE_PREFIX) or name == STATEMENT:
            return True
    return relative.name.endswith(SKIP_SUFFIXES)


def is_candidate_file(relative: str) -> bool:
    """``challenges/<id>/solution.*``: the candidate's, never part of the manifest."""
    parts = Path(relative).parts
    return len(parts) == 3 and parts[0] == "challenges" and parts[2].startswith(CANDIDATE_PREFIX)


def file_hash(path: Path) -> str:
    """SHA-256 of a regular file, read in chunks; ``\\r\\n`` is hashed as ``\\n`` so a Windows
    checkout (autocrlf) hashes like a Linux one. The file is opened without following a link."""
    digest = hashlib.sha256()
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        pending = b""
        while chunk := f.read(_CHUNK):
            chunk = pending + chunk
            # A \r at the end of a chunk may be the first half of a \r\n: keep it for the next one.
            pending = b"\r" if chunk.endswith(b"\r") else b""
            if pending:
                chunk = chunk[:-1]
            digest.update(chunk.replace(b"\r\n", b"\n"))
        digest.update(pending)
    return digest.hexdigest()


def _entry_hash(path: Path, mode: int) -> str:
    if stat.S_ISLNK(mode):
        return LINK_PREFIX + os.readlink(path)
    if not stat.S_ISREG(mode):
        return "not a regular file"
    try:
        return file_hash(path)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"


def _walk(base: Path, root: Path, files: dict[str, str]) -> None:
    """Record every file under ``base`` (relative to ``root``), descending only into real folders."""
    try:
        mode = os.lstat(base).st_mode
    except FileNotFoundError:
        return
    relative = base.relative_to(root)
    if not stat.S_ISDIR(mode):
        if not _skipped(relative):
            files[relative.as_posix()] = _entry_hash(base, mode)
        return
    for current, dirs, names in os.walk(base, followlinks=False):
        here = Path(current)
        real_dirs = []
        for name in sorted(dirs):
            path = here / name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                names.append(name)  # a linked folder is recorded as a link, never entered
            elif name not in SKIP_DIRS and not name.endswith(".egg-info"):
                real_dirs.append(name)
        dirs[:] = real_dirs
        for name in sorted(names):
            path = here / name
            relative = path.relative_to(root)
            if not _skipped(relative):
                files[relative.as_posix()] = _entry_hash(path, os.lstat(path).st_mode)


def compute(root: Path) -> dict[str, str]:
    """Relative POSIX path -> SHA-256 of every file under ``root`` that defines grading."""
    files: dict[str, str] = {}
    for name in ROOT_FILES:
        _walk(root / name, root, files)
    for folder in FOLDERS:
        _walk(root / folder, root, files)
    return dict(sorted(files.items()))


def write(root: Path) -> Path:
    target = root / MANIFEST
    data = {
        "algorithm": "sha256",
        "folders": list(FOLDERS),
        "root_files": list(ROOT_FILES),
        "not_recorded": ["challenges/*/solution.*", "challenges/*/README.md", ".grader/", "build outputs"],
        "files": compute(root),
    }
    target.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return target


def load(root: Path) -> dict[str, str] | None:
    try:
        files = json.loads((root / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return files if isinstance(files, dict) else None


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


def installed_packages(root: Path) -> dict[str, Path]:
    """The ``grader`` and ``reference`` folders Python imports, where they are not ``root``'s own
    (``grader grade-fork`` grades a clone with the installed packages)."""
    found = {}
    for name in PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin or not spec.submodule_search_locations:
            continue
        # Where its __init__ comes from: an editable install can add a folder of compiled
        # extensions to the search path, but the Python code is beside the __init__.
        folder = Path(spec.origin).resolve().parent
        if folder != (root / name).resolve():
            found[name] = folder
    return found


def _installed_hashes(folder: Path, name: str) -> dict[str, str]:
    files: dict[str, str] = {}
    _walk(folder, folder.parent, files)
    return {path: digest for path, digest in files.items() if path.split("/", 1)[0] == name}


def verify(root: Path) -> str | None:
    """None when the checkout (and the packages the grader imports) match the manifest, else a
    note saying what differs."""
    expected = load(root)
    if expected is None:
        return f"no readable {MANIFEST.as_posix()}: the grader's files could not be verified"
    found = diff(expected, compute(root))
    problems = []
    if found:
        problems.append(f"the grader's files differ from {MANIFEST.as_posix()}: {found.describe()}")
    for name, folder in installed_packages(root).items():
        wanted = {p: h for p, h in expected.items() if p.split("/", 1)[0] == name}
        installed = diff(wanted, _installed_hashes(folder, name))
        if installed:
            problems.append(f"the installed {name} package ({folder}) differs from {MANIFEST.as_posix()}: "
                            f"{installed.describe()}")
    return "; ".join(problems) or None
