"""The grader checking itself: a challenge is sound when every part is present, its stub reads
"not started", its example solution passes, and every known-wrong solution is rejected by the
property it claims to break."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader import mutants, scaffold, suites
from grader.availability import gpu_present
from grader.catalog import Challenge
from grader.mutants import Mutant, MutantError
from grader.session import grade_one
from grader.suite import INPUTS_UNCHANGED
from grader.worker import MEASUREMENTS

MIN_MUTANTS = 4
# Deterministic and thorough enough that a correct example never flips, fast enough for CI.
EXAMPLE_PROFILE, EXAMPLE_SEED = "quick", 20261129


@dataclass
class Finding:
    challenge: str
    check: str
    ok: bool
    detail: str = ""
    skipped: str = ""  # why the check could not run here (a CUDA challenge without a GPU)


COMPILED_ONLY = "compiled without errors; no GPU here to run it on"


def _compiled_only(challenge: Challenge, result, label: str) -> Finding | None:
    """A CUDA challenge on a machine without a GPU can only prove that it compiles; a track this
    machine cannot run at all (no numba, no compiler) proves nothing, and says why."""
    if challenge.track == "cuda" and result.status == "skipped" and result.message == COMPILED_ONLY:
        return Finding(challenge.id, label, True, result.message, skipped="no GPU: compiled, not run")
    if result.status == "skipped":
        return Finding(challenge.id, label, True, result.message, skipped=result.message)
    return None



def undeclared_files(challenge: Challenge, declared: list[Mutant]) -> list[Path]:
    """Files under ``mutants/`` that no declaration names: they would never be graded."""
    named = {m.file for m in declared if m.file is not None}
    folder = challenge.folder / "mutants"
    return sorted(p for p in folder.glob("*") if p.is_file() and p not in named) if folder.is_dir() else []


# The headings every statement has, in this order, so a candidate finds the same thing in the same
# place in every challenge ("Why interviewers ask it" and "Constraints" may come in between).
STATEMENT_HEADINGS = (
    ("## The task", "## The task"),
    ("## Worked example", "a heading that starts with ## Worked example"),
    ("what the grader checks", "a heading with 'What the grader checks'"),
    ("## What interviewers probe", "## What interviewers probe"),
    ("## Follow-up questions", "## Follow-up questions"),
)


def check_statement(challenge: Challenge) -> Finding:
    """The statement has the standard headings, in order."""
    headings = [line.strip() for line in challenge.statement_path.read_text().splitlines() if line.startswith("## ")]
    position = 0
    for wanted, described in STATEMENT_HEADINGS:
        match = next((i for i, h in enumerate(headings[position:], position)
                      if h.startswith(wanted) or (not wanted.startswith("#") and wanted in h.lower())), None)
        if match is None:
            return Finding(challenge.id, "statement has the standard headings", False,
                           f"{challenge.statement_path}: expected {described} after {headings[position - 1] if position else 'the title'}"
                           f"; its headings are: {' | '.join(headings)}")
        position = match + 1
    return Finding(challenge.id, "statement has the standard headings", True)


def check_parts(root: Path, challenge: Challenge) -> list[Finding]:
    found = []
    for label, path in (
        ("statement", challenge.statement_path),
        ("stub", challenge.stub_path),
        ("example solution", challenge.example_path(root)),
        ("suite", Path(suites.__file__).parent / f"{challenge.suite}.py"),
    ):
        found.append(Finding(challenge.id, f"has {label}", path.is_file(), str(path)))
    if challenge.statement_path.is_file():
        found.append(check_statement(challenge))
    left = scaffold.placeholders_left(root, challenge)
    found.append(Finding(challenge.id, f"no '{scaffold.PLACEHOLDER}' placeholder left", not left, ", ".join(left)))
    found.append(Finding(challenge.id, "has 3 or more hints", len(challenge.hints) >= 3, f"{len(challenge.hints)} hints"))
    label = f"has {MIN_MUTANTS}+ known-wrong solutions"
    try:
        declared = mutants.load(challenge)
    except MutantError as exc:
        found.append(Finding(challenge.id, label, False, str(exc)))
        return found
    where = mutants.declarations_path(challenge)
    found.append(Finding(challenge.id, label, len(declared) >= MIN_MUTANTS, f"{len(declared)} in {where}"))
    stray = undeclared_files(challenge, declared)
    found.append(Finding(challenge.id, "every mutant file is declared", not stray,
                         f"not named by any 'file =' in {where}: {', '.join(map(str, stray))}" if stray else ""))
    return found


def check_stub(root: Path, challenge: Challenge) -> Finding:
    result = grade_one(root, challenge, challenge.stub_path, profile="quick", seed=0, recognise_stub=False)
    compiled = _compiled_only(challenge, result, "stub reads not started")
    if compiled:
        return compiled
    return Finding(challenge.id, "stub reads not started", result.status == "not_started", f"{result.status} {result.message}")


def check_example(root: Path, challenge: Challenge) -> Finding:
    result = grade_one(root, challenge, challenge.example_path(root), profile=EXAMPLE_PROFILE, seed=EXAMPLE_SEED,
                    trusted=True)
    compiled = _compiled_only(challenge, result, "example solution passes")
    if compiled:
        return compiled
    detail = result.message or "; ".join(f"{t.name}: {t.message}" for t in result.failures)
    return Finding(challenge.id, "example solution passes", result.status == "passed", f"{result.status} {detail}")


EXAMPLE_FAILS = "not checked: the example fails too, so a mutant's failure would prove nothing"


def check_mutant(root: Path, challenge: Challenge, mutant: Mutant) -> Finding:
    """The mutant must still apply to the example, must fail, and the property it names must be
    among the reasons."""
    label = f"rejects {mutant.name}"
    prop = mutant.breaks
    try:
        path = mutants.write(root, challenge, mutant)
    except MutantError as exc:
        return Finding(challenge.id, label, False, str(exc))
    # The universal inputs_unchanged check fires inside whichever property calls first; any other
    # property is run alone, which both proves it catches the mutant and keeps CI fast.
    if challenge.track == "cuda" and not gpu_present():
        # A known-wrong kernel can only be told apart by running it; compiling it proves nothing.
        return Finding(challenge.id, label, True, "not run", skipped="no GPU: known-wrong kernel not run")
    only = None if prop == INPUTS_UNCHANGED else [prop]
    # A measurement runs only once every property passes; those properties are its gate here, not
    # what is checked, so the quick profile's search is enough.
    profile, seed = ("quick", EXAMPLE_SEED) if prop in MEASUREMENTS else ("ci", None)  # both derandomized
    # Unshrunk, and stopped at the first failing property: the verdict is what is checked here, and
    # shrinking is most of a failing run's time.
    result = grade_one(root, challenge, path, profile=profile, seed=seed, only=only, shrink=False, exitfirst=True)
    compiled = _compiled_only(challenge, result, label)
    if compiled:
        return compiled
    # Only a real "failed" counts: a suite error or a timeout would reject every mutant for nothing.
    named = [t for t in result.failures if t.status == "failed" and (t.name == prop or f"[{prop}]" in t.message)]
    ok = result.status not in ("passed", "skipped") and bool(named)
    detail = f"{result.status}; expected {prop} to fail; failing: " + ", ".join(t.name for t in result.failures)
    if result.message:
        detail += f"; {result.message}"
    return Finding(challenge.id, label, ok, detail)


def validate(root: Path, challenge: Challenge) -> list[Finding]:
    findings = check_parts(root, challenge)
    if not all(f.ok for f in findings):
        return findings
    example = check_example(root, challenge)
    findings += [check_stub(root, challenge), example]
    if not example.ok:
        # A mutant failing where the example fails too says nothing about the property it names
        # (on a GPU box that could not start CUDA, every mutant was "rejected").
        return findings + [Finding(challenge.id, f"rejects {mutant.name}", True, "not run", skipped=EXAMPLE_FAILS)
                           for mutant in mutants.load(challenge)]
    return findings + [check_mutant(root, challenge, mutant) for mutant in mutants.load(challenge)]
