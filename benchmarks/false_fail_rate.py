"""How often a correct solution fails the speed threshold: the reference graded as a candidate.

    python benchmarks/false_fail_rate.py [--runs 20] [ID ...]

Grades each speed-graded challenge's example solution ``--runs`` times with the quick profile and
prints, per challenge, the failures and the spread of the measured ratios against the threshold.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from grader.availability import skip_reason
from grader.catalog import load_catalog, select
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    challenges = [
        c for c in select(load_catalog(ROOT), args.ids)
        if c.extra.get("speed", {}).get("graded") and skip_reason(c.track) is None and c.track != "cuda"
    ]
    for challenge in challenges:
        ratios, failures = [], 0
        for run in range(args.runs):
            result = grade_challenge(challenge, ROOT, challenge.example_path(ROOT), profile="quick", seed=run, trusted=True)
            speed = result.speed or {}
            if result.status != "passed":
                failures += 1
            if "ratio" in speed:
                ratios.append(speed["ratio"])
        threshold = challenge.extra["speed"]["threshold"]
        summary = (f"median {statistics.median(ratios):.2f}×, max {max(ratios):.2f}×" if ratios else "no ratios")
        print(f"{challenge.id}: {failures} of {args.runs} runs failed; ratio {summary}; threshold {threshold}×")


if __name__ == "__main__":
    main()
