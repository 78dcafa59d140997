"""One grading session, below the command line: which file is graded for each challenge, which
tracks cannot run here, which challenges run alone, the replay command of each failure, whether the
run is official, and the verdicts remembered for ``grader list``. ``check``, ``watch`` and
``validate`` grade through here, and so do the tests, so they all get the same behaviour;
``grader.cli`` only parses arguments and prints.
"""

from __future__ import annotations

import shlex
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from grader import manifest, state
from grader.availability import skip_reason
from grader.catalog import SOLUTION_SUFFIX, Challenge
from grader.results import ChallengeResult, RunResult


class UsageError(Exception):
    """The request cannot be graded as asked (a missing file, a file for several challenges)."""


def solution_for(challenge: Challenge, solution: Path | None, many: bool) -> Path:
    """The file graded for ``challenge``: the candidate's own, or one under ``solution`` (a file for
    one challenge, or a folder holding ``<id>/solution.<ext>`` or ``<id>.<ext>``)."""
    if solution is None:
        return challenge.ensure_solution()
    suffix = SOLUTION_SUFFIX[challenge.track]
    if not solution.exists():
        raise UsageError(f"no such file or folder: {solution}")
    if solution.is_dir():
        for candidate in (solution / challenge.id / f"solution{suffix}", solution / f"{challenge.id}{suffix}"):
            if candidate.is_file():
                return candidate.resolve()
        raise UsageError(f"{solution} has neither {challenge.id}/solution{suffix} nor {challenge.id}{suffix}")
    if many:
        raise UsageError("--solution with a file grades one challenge: name exactly one id (or pass a folder)")
    return solution.resolve()


def has_solution_in(challenge: Challenge, folder: Path) -> bool:
    suffix = SOLUTION_SUFFIX[challenge.track]
    return (folder / challenge.id / f"solution{suffix}").is_file() or (folder / f"{challenge.id}{suffix}").is_file()


def unknown_properties(root: Path, challenges: list[Challenge], only: list[str]) -> str | None:
    """Why ``--only`` names nothing some chosen challenge has (None when every name is known):
    checked before grading, so a typo is a usage error, not a failed run."""
    from grader import suites
    from grader.suite import INPUTS_UNCHANGED
    from grader.worker import MEASUREMENTS

    for challenge in challenges:
        suite = suites.load(root, challenge.suite)
        known = {p.id for p in suite.properties if p.tracks is None or challenge.track in p.tracks}
        known |= {INPUTS_UNCHANGED, *MEASUREMENTS}
        missing = sorted(set(only) - known)
        if missing:
            return (f"{challenge.id} has no property named {', '.join(missing)}; its properties are: "
                    f"{', '.join(sorted(known))}")
    return None


def replay_command(challenge: Challenge, test: str, profile: str, seed: int | None, solution: Path | None) -> str:
    parts = ["grader", "check", challenge.id, "--only", test, "--profile", profile]
    if seed is not None:
        parts += ["--seed", str(seed)]
    if solution is not None:
        parts += ["--solution", str(solution)]
    return shlex.join(parts)


UNTOUCHED = "the file is still the stub: nothing was run or compiled"


def _not_run(challenge: Challenge, path: Path, recognise_stub: bool = True) -> tuple[str, str] | None:
    """(status, message) when ``path`` is not run at all: a file that is still the stub, a track
    this machine cannot run; None when a judge grades it."""
    if recognise_stub and path.is_file() and state.is_stub(challenge, path):
        return "not_started", UNTOUCHED
    reason = skip_reason(challenge.track)
    return ("skipped", reason) if reason else None


def grade_one(root: Path, challenge: Challenge, path: Path, *, profile: str, seed: int | None,
              only: list[str] | None = None, trusted: bool = False, replay_solution: Path | None = None,
              recognise_stub: bool = True, **options) -> ChallengeResult:
    """Grade one file, or say why its track cannot run here; failures carry their replay command.
    A file that is still the stub reads "not started" without being run or compiled (validation
    turns that off, to prove the stub itself reads "not started" when run)."""
    from grader.running import grade_challenge

    base = {"id": challenge.id, "title": challenge.title, "track": challenge.track, "solution": str(path),
            "points": challenge.points}
    verdict = _not_run(challenge, path, recognise_stub)
    if verdict:
        return ChallengeResult(status=verdict[0], message=verdict[1], **base)
    result = grade_challenge(challenge, root, path, profile=profile, seed=seed, only=only, trusted=trusted, **options)
    result.replay = {t.name: replay_command(challenge, t.name, profile, seed, replay_solution)
                     for t in result.tests if t.status not in ("passed", "skipped")}
    return result


def run(root: Path, challenges: list[Challenge], *, solution: Path | None, profile: str, seed: int | None,
        only: list[str] | None = None, trusted: bool = False, jobs: int = 1, exitfirst: bool = False,
        on_result: Callable[[ChallengeResult], None] | None = None) -> RunResult:
    """Grade ``challenges``, ``jobs`` at a time; those graded on speed or memory run alone, after
    the others, so no neighbour skews them. Verdicts on the candidate's own files are remembered."""
    from grader.running import start_workers

    paths = {c.id: solution_for(c, solution, many=len(challenges) > 1) for c in challenges}

    def grade(challenge: Challenge) -> ChallengeResult:
        return grade_one(root, challenge, paths[challenge.id], profile=profile, seed=seed, only=only,
                         trusted=trusted, replay_solution=solution, exitfirst=exitfirst)

    timed = [c for c in challenges if c.extra.get("speed") or c.extra.get("memory")]
    untimed = [c for c in challenges if c not in timed]
    if any(_not_run(c, paths[c.id]) is None for c in challenges):
        # Not otherwise: a fork server still importing torch when the run ends dies with oneMKL's
        # "FATAL ERROR: Cannot load libtorch_cpu.so" on stderr (a run of untouched stubs).
        start_workers()
    results = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for challenge, result in zip(untimed, pool.map(grade, untimed)):
            results[challenge.id] = result
            if on_result:
                on_result(result)
    for challenge in timed:
        results[challenge.id] = grade(challenge)
        if on_result:
            on_result(results[challenge.id])
    if solution is None:
        for challenge in challenges:
            if results[challenge.id].status != "skipped":
                state.record(root, challenge, results[challenge.id].status, paths[challenge.id])
                state.save_result(root, results[challenge.id])
    return RunResult(challenges=[results[c.id] for c in challenges], profile=profile, seed=seed)


def official_run(root: Path, challenges: list[Challenge], **options) -> RunResult:
    """``run``, with what makes a grade official checked around it: the grader's files match the
    manifest before and after, every box was confined; and the library versions a seed replays with."""
    tampered = manifest.verify(root)
    pinned = manifest.compute(root)
    result = run(root, challenges, **options)
    reasons = [tampered] if tampered else []
    reasons += unconfined(result)
    during = manifest.diff(pinned, manifest.compute(root))
    if during:
        reasons.append(f"the grader's files changed during the run: {during.describe()}")
    if reasons:
        result.official = False
        result.unofficial_reason = "; ".join(reasons)
    result.versions = library_versions()
    result.notes = list(reasons)
    return result


def unconfined(run_result: RunResult) -> list[str]:
    """Why the run is not official because of the sandbox: any box that was not fully confined."""
    reasons = sorted({c.sandbox.get("reason") or "unknown reason" for c in run_result.challenges
                      if c.sandbox is not None and not c.sandbox.get("official")})
    return [f"the solution's process was not confined ({reason}); grades here are for practice" for reason in reasons]


def library_versions() -> dict[str, str | None]:
    """The versions a seed replays with (from the installed distributions, without importing)."""
    from importlib import metadata

    versions = {}
    for name in ("hypothesis", "torch", "numpy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
