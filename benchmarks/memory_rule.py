"""How the memory test classifies solutions of the challenges graded on memory (clip_loss_chunked).

    python benchmarks/memory_rule.py [--runs 3] [ID ...]

Grades, ``--runs`` times each, the example solution, the correct solutions in
tests/solutions/<id>/ (which must pass) and the known-wrong ones in challenges/<id>/mutants.toml
with ``breaks = "memory"`` (which must fail), running only the memory test, exactly as the grader
measures it. Prints, per solution, how many runs passed, the extra peak as a ratio of the naive
reference's, and how much the peak grew between the growth rule's two sizes against its limit.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.catalog import load_catalog, select
from grader.results import Measurement
from grader.running import grade_challenge
from grader import mutants

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def _solutions(challenge) -> list[tuple[Path, str]]:
    correct = [challenge.example_path(ROOT), *sorted((ROOT / "tests" / "solutions" / challenge.id).glob("*.py"))]
    wrong = [mutants.write(ROOT, challenge, m) for m in mutants.load(challenge) if m.breaks == "memory"]
    return [(path, "pass") for path in correct] + [(path, "fail") for path in wrong]


def _figures(memory: Measurement | None) -> str:
    if memory is None:
        return "no figures"
    text = f"ratio {memory.ratio:.3f}× (threshold {memory.threshold}×)"
    figures = memory.figures
    if "growth_bytes" in figures:
        text += (f", growth {figures['growth_bytes'] / MB:.1f} MB from N = {figures['growth_sizes'][0]} to "
                 f"{figures['growth_sizes'][1]} (limit {figures['growth_allowed_bytes'] / MB:.1f} MB)")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    for challenge in select(load_catalog(ROOT), args.ids):
        if not challenge.extra.get("memory", {}).get("graded"):
            continue
        for path, should in _solutions(challenge):
            passed = 0
            for run in range(args.runs):
                result = grade_challenge(challenge, ROOT, path, profile="quick", seed=run, only=["memory"],
                                         trusted=path == challenge.example_path(ROOT))
                passed += result.status == "passed"
                print(f"  {challenge.id} {path.name} run {run}: {result.status}; {_figures(result.measurement('memory'))}", flush=True)
            print(f"{challenge.id} {path.name} (should {should}): passed {passed} of {args.runs}", flush=True)


if __name__ == "__main__":
    main()
