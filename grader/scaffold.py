"""``grader new``: the files of a new Python challenge, each a skeleton marked where the author
must write, so that ``grader validate`` names what is still missing instead of an author finding
out from a reviewer.

A new op is one folder (statement, toml, stub, mutants) plus its reference and its suite; the
kernel tracks of an existing op are copied from a sibling by hand, since each needs a harness or
adapter of its own.
"""

from __future__ import annotations

from pathlib import Path

from grader import suites
from grader.catalog import AREAS, DIFFICULTIES, Challenge

PLACEHOLDER = "TODO(grader new)"


class ScaffoldError(ValueError):
    pass


def next_order(catalog: list[Challenge], area: str) -> int:
    """Ten past the last challenge of the area, skipping orders already taken, so the new one is
    listed after its area's others without renumbering anything."""
    taken = {c.order for c in catalog}
    in_area = [c.order for c in catalog if c.area == area]
    order = (max(in_area) if in_area else max(taken, default=0)) + 10
    while order in taken:
        order += 1
    return order


def files(root: Path, challenge_id: str, area: str, difficulty: str, order: int) -> dict[Path, str]:
    """Every file ``grader new`` writes, by path."""
    todo = PLACEHOLDER
    fn = challenge_id
    return {
        root / "challenges" / challenge_id / "challenge.toml": f'''id = "{challenge_id}"
title = "{todo}: a title"
area = "{area}"
track = "python"
difficulty = "{difficulty}"
order = {order}
suite = "{challenge_id}"
example = "reference/ops/{challenge_id}.py"
time_limit_s = 60
points = 10
# Library versions of the op, which would skip the exercise.
forbidden = []
hints = [
  "{todo}: a first nudge: the idea, no code.",
  "{todo}: a second: the shape of the computation.",
  "{todo}: a third: nearly the answer, with the edge cases named.",
]
''',
        root / "challenges" / challenge_id / "README.md": f"""# {challenge_id} — {todo}: a title

## Why interviewers ask it

{todo}: what the question tells an interviewer about a candidate.

## The task

{todo}: the signature, shapes, dtypes and errors, as the stub's docstring states them.

## Worked example

{todo}: a small input and its output, worked by hand.

## Constraints

{todo}: what may not be used, and why.

## What the grader checks

{todo}: one line per property, in the suite's words.

## What interviewers probe

{todo}: the follow-ups that separate a memorised answer from an understood one.

## Follow-up questions

{todo}: three questions, with what a good answer contains.
""",
        root / "challenges" / challenge_id / "stub.py": f'''"""{todo}: a title. See README.md in this folder for the full statement."""

import torch


def {fn}(x: torch.Tensor) -> torch.Tensor:
    """{todo}: the contract: shapes, dtypes, errors."""
    raise NotImplementedError("{fn}: write your solution here")
''',
        root / "challenges" / challenge_id / "mutants.toml": f'''# Known-wrong solutions: each is the example (reference/ops/{challenge_id}.py) with the changes in
# `replace` ([old, new] pairs, each old found exactly once), and must fail the property in
# `breaks`. See grader/mutants.py. Validation asks for four or more.

[[mutant]]
name = "returns_input_unchanged"
breaks = "matches_reference"
why = "{todo}: the mistake a candidate really makes, in one sentence."
replace = [["return x.clone()", "return x"]]
''',
        root / "reference" / "ops" / f"{challenge_id}.py": f'''"""Readable reference for {todo}: the specification every track is graded against."""

import torch


def {fn}(x: torch.Tensor) -> torch.Tensor:
    """{todo}: the contract, as the stub states it."""
    return x.clone()
''',
        root / "grader" / "suites" / f"{challenge_id}.py": f'''"""Properties of {todo}: the op."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, expect_close, expect_tensor
from grader.suites.strategies import dtypes
from reference.ops.{challenge_id} import {fn} as reference

suite = Suite("{challenge_id}")


@st.composite
def inputs(draw):
    """{todo}: valid inputs, built directly rather than filtered."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    seed = draw(st.integers(0, 2**31 - 1))
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(draw(dtypes))


@suite.property("returns a tensor with the input's shape and dtype")
@given(x=inputs())
def output_contract(sol, x):
    expect_tensor(sol.{fn}(x), what="{fn}(x)", dtype=x.dtype, shape=tuple(x.shape))


@suite.property("matches the reference")
@given(x=inputs())
def matches_reference(sol, x):
    expect_close(sol.{fn}(x), reference(x), what="{fn}(x)")
''',
    }


def create(root: Path, catalog: list[Challenge], challenge_id: str, area: str, difficulty: str = "medium") -> list[Path]:
    """Write the skeleton; refuse to overwrite anything."""
    if not challenge_id.isidentifier() or challenge_id != challenge_id.lower():
        raise ScaffoldError(f"challenge id {challenge_id!r}: expected a lower-case Python identifier such as 'box_iou'"
                            " (it names the folder, the suite and the function)")
    if area not in AREAS:
        raise ScaffoldError(f"area {area!r}: expected one of {', '.join(AREAS)}")
    if difficulty not in DIFFICULTIES:
        raise ScaffoldError(f"difficulty {difficulty!r}: expected one of {', '.join(DIFFICULTIES)}")
    if not (root / "grader" / "suites").is_dir():
        raise ScaffoldError(f"{root} is not a checkout of cv-grader (no grader/suites/): grader new writes a suite there")
    planned = files(root, challenge_id, area, difficulty, next_order(catalog, area))
    existing = [path for path in planned if path.exists()]
    if any(c.id == challenge_id for c in catalog) or existing:
        raise ScaffoldError(f"{challenge_id} exists already: {', '.join(map(str, existing)) or 'in the catalog'}")
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(planned)


def placeholders_left(root: Path, challenge: Challenge) -> list[str]:
    """The files of a challenge that still carry a ``grader new`` placeholder, with its first line."""
    paths = [*sorted(p for p in challenge.folder.rglob("*") if p.is_file()), challenge.example_path(root),
             Path(suites.__file__).parent / f"{challenge.suite}.py"]
    found = []
    for path in paths:
        try:
            lines = path.read_text().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        hit = next((n for n, line in enumerate(lines, 1) if PLACEHOLDER in line), None)
        if hit:
            found.append(f"{path}:{hit}")
    return found
