"""Known-wrong solutions, declared as small changes to a challenge's example.

``challenges/<id>/mutants.toml`` lists them::

    [[mutant]]
    name = "no_clamp"
    breaks = "disjoint_boxes_give_zero"
    why = "Forgets to clamp the intersection sides at zero."
    replace = [["sides = (bottom_right - top_left).clamp(min=0)", "sides = bottom_right - top_left"]]

Each ``[old, new]`` pair must match the example exactly once, applied in order, so a change to the
example that a mutant no longer fits is an error that names the mutant, not a mutant that silently
drifts a second way. A mutant that is a rewrite rather than an edit is a full file instead
(``file = "mutants/<name>.py"``, relative to the challenge folder).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.catalog import SOLUTION_SUFFIX, Challenge, tomllib

DECLARATIONS = "mutants.toml"
KEYS = {"name", "breaks", "why", "replace", "file"}


class MutantError(ValueError):
    """A declaration that is malformed or no longer applies to the example."""


@dataclass(frozen=True)
class Mutant:
    challenge: str
    name: str
    breaks: str
    why: str
    replace: tuple[tuple[str, str], ...] = ()
    file: Path | None = None

    def source(self, example: Path) -> str:
        """The mutant's text: its own file, or the example with every change applied."""
        if self.file is not None:
            return self.file.read_text()
        text = example.read_text()
        for number, (old, new) in enumerate(self.replace, 1):
            count = text.count(old)
            if count != 1:
                raise MutantError(
                    f"{self.challenge} mutant {self.name!r}, change {number}: {old!r} is found {count} times in "
                    f"{example} (after the changes before it); it must be found exactly once"
                )
            text = text.replace(old, new)
        return text


def declarations_path(challenge: Challenge) -> Path:
    return challenge.folder / DECLARATIONS


def load(challenge: Challenge) -> list[Mutant]:
    """The challenge's known-wrong solutions, in the order they are declared."""
    path = declarations_path(challenge)
    if not path.is_file():
        return []
    try:
        entries = tomllib.loads(path.read_text()).get("mutant", [])
    except tomllib.TOMLDecodeError as exc:
        raise MutantError(f"{path} is not valid TOML: {exc}") from None
    found, names = [], set()
    for index, entry in enumerate(entries, 1):
        where = f"{path}, mutant {index}"
        unknown = sorted(set(entry) - KEYS)
        if unknown:
            raise MutantError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(KEYS))}")
        for key in ("name", "breaks", "why"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise MutantError(f"{where}: '{key}' must be a non-empty string")
        name = entry["name"]
        if not name.isidentifier() or name in names:
            raise MutantError(f"{where}: name {name!r} must be an identifier used once in the file")
        names.add(name)
        replace, file = entry.get("replace"), entry.get("file")
        if (replace is None) == (file is None):
            raise MutantError(f"{where} ({name}): give exactly one of 'replace' (changes to the example) or 'file'")
        if file is not None:
            file_path = challenge.folder / file
            if not file_path.is_file():
                raise MutantError(f"{where} ({name}): file {file_path} does not exist")
            found.append(Mutant(challenge.id, name, entry["breaks"], entry["why"], file=file_path))
            continue
        if not replace or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
                                  for p in replace):
            raise MutantError(f"{where} ({name}): 'replace' must be a non-empty list of [old, new] string pairs")
        found.append(Mutant(challenge.id, name, entry["breaks"], entry["why"], tuple(map(tuple, replace))))
    return found


def by_name(challenge: Challenge, name: str) -> Mutant:
    for mutant in load(challenge):
        if mutant.name == name:
            return mutant
    raise MutantError(f"{challenge.id} has no mutant named {name!r}")


def write(root: Path, challenge: Challenge, mutant: Mutant, folder: Path | None = None) -> Path:
    """The mutant as a solution file the grader can grade.

    Files are named by content, so a compiled track's build cache is shared between runs and two
    processes writing the same mutant write the same bytes."""
    text = mutant.source(challenge.example_path(root))
    folder = folder or Path(tempfile.gettempdir()) / "cv-grader-mutants" / challenge.id
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = folder / f"{mutant.name}-{digest}{SOLUTION_SUFFIX[challenge.track]}"
    if not path.is_file():
        partial = folder / f".{path.name}.{os.getpid()}.partial"
        partial.write_text(text)
        partial.replace(path)
    return path


def file_for(root: Path, challenge: Challenge, name: str) -> Path:
    """The named mutant written out as a solution file (for tests, benchmarks and demos)."""
    return write(root, challenge, by_name(challenge, name))
