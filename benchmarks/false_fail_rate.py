"""How often the speed grade is wrong: correct solutions that fail it, too-slow ones that pass it.

    python benchmarks/false_fail_rate.py [--runs 20] [--load N] [--solutions example|textbook|too_slow] [ID ...]

Grades each speed-graded challenge's solutions ``--runs`` times with the quick profile and prints,
per solution, how many runs failed and the spread of the measured ratios against the threshold.
``--solutions example`` grades the reference kernel as a candidate; ``textbook`` the clean,
unoptimized solutions in tests/solutions/<id>/textbook.*, which must pass every time;
``too_slow`` the deliberately slow ones there (too_slow_*), which must fail every time.
``--load N`` runs N busy processes beside the grader for the whole run, as on a busy laptop.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
from pathlib import Path

from grader.availability import skip_reason
from grader.catalog import load_catalog, select
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]


def _spin() -> None:
    while True:
        pass


def _solutions(challenge, which: str) -> list[Path]:
    if which == "example":
        return [challenge.example_path(ROOT)]
    pattern = "textbook.*" if which == "textbook" else "too_slow_*"
    return sorted((ROOT / "tests" / "solutions" / challenge.id).glob(pattern))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--load", type=int, default=0, help="busy processes to run beside the grader")
    parser.add_argument("--solutions", choices=("example", "textbook", "too_slow"), default="example")
    args = parser.parse_args()
    if args.runs < 1 or args.load < 0:
        parser.error("--runs must be at least 1 and --load at least 0")
    challenges = [
        c for c in select(load_catalog(ROOT), args.ids)
        if c.extra.get("speed", {}).get("graded") and skip_reason(c.track) is None and c.track != "cuda"
    ]
    hogs = [multiprocessing.get_context("spawn").Process(target=_spin, daemon=True) for _ in range(args.load)]
    for hog in hogs:
        hog.start()
    try:
        for challenge in challenges:
            threshold = challenge.extra["speed"]["threshold"]
            for path in _solutions(challenge, args.solutions):
                ratios, failures = [], 0
                for run in range(args.runs):
                    result = grade_challenge(challenge, ROOT, path, profile="quick", seed=run,
                                             trusted=args.solutions == "example")
                    speed = result.measurement("speed")
                    failures += result.status != "passed"
                    if speed:
                        ratios.append(speed.ratio)
                summary = (f"median {statistics.median(ratios):.2f}×, min {min(ratios):.2f}×, max {max(ratios):.2f}×"
                           if ratios else "no ratios")
                print(f"{challenge.id} {path.name} (load {args.load}): {failures} of {args.runs} runs failed; "
                      f"ratio {summary}; threshold {threshold}×", flush=True)
    finally:
        for hog in hogs:
            hog.kill()


if __name__ == "__main__":
    main()
