"""The challenge catalog: every folder under ``challenges/`` with a ``challenge.toml``.

This is the only place that knows the layout of a challenge; every command reads it from here,
so adding a challenge never means editing the grader.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

AREAS = (
    "classification",
    "detection",
    "segmentation",
    "video",
    "vision-language",
    "deployment",
)
TRACKS = ("python", "numba", "numba-cuda", "cpp", "cuda")
DIFFICULTIES = ("easy", "medium", "hard")
SOLUTION_SUFFIX = {"python": ".py", "numba": ".py", "numba-cuda": ".py", "cpp": ".cpp", "cuda": ".cu"}
ROOT_ENV = "CV_GRADER_ROOT"


class CatalogError(Exception):
    """The checkout or a challenge's metadata is not what the grader expects."""


@dataclass(frozen=True)
class Challenge:
    id: str
    title: str
    area: str
    track: str
    difficulty: str
    suite: str
    folder: Path
    order: int = 1000
    hints: tuple[str, ...] = ()
    time_limit_s: float = 60.0
    memory_limit_mb: int = 4096
    points: int = 10
    forbidden: tuple[str, ...] = ()
    example: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def stub_path(self) -> Path:
        return self.folder / f"stub{SOLUTION_SUFFIX[self.track]}"

    @property
    def solution_path(self) -> Path:
        return self.folder / f"solution{SOLUTION_SUFFIX[self.track]}"

    @property
    def statement_path(self) -> Path:
        return self.folder / "README.md"

    def example_path(self, root: Path) -> Path:
        return root / self.example

    def ensure_solution(self) -> Path:
        """The candidate's working file, created from the pristine stub on first use."""
        if not self.solution_path.exists():
            shutil.copyfile(self.stub_path, self.solution_path)
        return self.solution_path


def find_root(start: Path | None = None) -> Path:
    """The checkout to grade: ``$CV_GRADER_ROOT``, else the nearest folder up with ``challenges/``."""
    env = os.environ.get(ROOT_ENV)
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / "challenges").is_dir():
            raise CatalogError(f"{ROOT_ENV}={env} has no challenges/ folder; point it at a cv-grader checkout.")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "challenges").is_dir() and (folder / "grader").is_dir():
            return folder
    raise CatalogError(
        f"{here} is not inside a cv-grader checkout (no challenges/ and grader/ folders above it). "
        f"cd into your clone, or set {ROOT_ENV}=/path/to/your/clone."
    )


def _require(meta: dict, key: str, path: Path, allowed: tuple[str, ...] | None = None):
    if key not in meta:
        raise CatalogError(f"{path}: missing required key '{key}'")
    value = meta[key]
    if allowed is not None and value not in allowed:
        raise CatalogError(f"{path}: '{key}' is {value!r}; expected one of {', '.join(allowed)}")
    return value


# Keys a challenge.toml may hold besides the Challenge fields, and what each table may hold: a typo
# (`time_limit = 90`, `[speed] treshold`) must fail loudly, not leave a default in force.
TABLES = {
    "speed": {"graded", "sizes", "threshold"},
    "memory": {"graded", "size", "features", "threshold", "growth"},
}
EXTRA_KEYS = {"exports", *TABLES}


def _reject_unknown_keys(meta: dict, known: set[str], path: Path) -> None:
    unknown = sorted(set(meta) - known - EXTRA_KEYS)
    if unknown:
        raise CatalogError(f"{path}: unknown key(s) {', '.join(unknown)}; known keys: "
                           f"{', '.join(sorted(known | EXTRA_KEYS))}")
    for table, keys in TABLES.items():
        if table in meta and not isinstance(meta[table], dict):
            raise CatalogError(f"{path}: '{table}' must be a table ([{table}])")
        stray = sorted(set(meta.get(table, {})) - keys)
        if stray:
            raise CatalogError(f"{path}: unknown key(s) {', '.join(stray)} in [{table}]; known: {', '.join(sorted(keys))}")


def load_challenge(folder: Path) -> Challenge:
    path = folder / "challenge.toml"
    try:
        meta = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML ({exc})") from exc
    known = {f for f in Challenge.__dataclass_fields__} - {"folder", "extra"}
    _reject_unknown_keys(meta, known, path)
    challenge = Challenge(
        id=_require(meta, "id", path),
        title=_require(meta, "title", path),
        area=_require(meta, "area", path, AREAS),
        track=_require(meta, "track", path, TRACKS),
        difficulty=_require(meta, "difficulty", path, DIFFICULTIES),
        suite=_require(meta, "suite", path),
        folder=folder,
        order=int(meta.get("order", 1000)),
        hints=tuple(meta.get("hints", ())),
        time_limit_s=float(meta.get("time_limit_s", 60.0)),
        memory_limit_mb=int(meta.get("memory_limit_mb", 4096)),
        points=int(meta.get("points", 10)),
        forbidden=tuple(meta.get("forbidden", ())),
        example=meta.get("example", ""),
        extra={k: v for k, v in meta.items() if k not in known},
    )
    if not challenge.suite.isidentifier():
        raise CatalogError(f"{path}: suite '{challenge.suite}' must name a module of grader/suites (a plain name, like 'nms')")
    if challenge.id != folder.name:
        raise CatalogError(f"{path}: id '{challenge.id}' must equal its folder name '{folder.name}'")
    return challenge


def load_catalog(root: Path) -> list[Challenge]:
    folders = sorted(p.parent for p in (root / "challenges").glob("*/challenge.toml"))
    challenges = [load_challenge(f) for f in folders]
    return sorted(challenges, key=lambda c: (c.order, c.id))


def select(catalog: list[Challenge], ids: list[str] | None) -> list[Challenge]:
    """The named challenges in catalog order (all when none named); unknown ids are an error."""
    if not ids:
        return list(catalog)
    by_id = {c.id: c for c in catalog}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        import difflib

        guesses = list(dict.fromkeys(g for i in unknown for g in difflib.get_close_matches(i, by_id, n=1, cutoff=0.6)))
        hint = f" Did you mean {' or '.join(guesses)}?" if guesses else ""
        raise CatalogError(f"unknown challenge id(s): {', '.join(unknown)}.{hint} Known ids: {', '.join(sorted(by_id))}")
    wanted = set(ids)
    return [c for c in catalog if c.id in wanted]
