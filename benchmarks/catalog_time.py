"""Wall time of grading the whole catalog with the example solutions, as `grader check` would.

    python benchmarks/catalog_time.py            # --jobs 2, quick profile, seed 1
    python benchmarks/catalog_time.py --jobs 1 --only box_iou nms

Builds of the compiled tracks are cached under .grader/build; run it twice and read the second
figure for what a candidate sees after the first check. Prints the total, then the slowest ones.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from grader.catalog import find_root, load_catalog
from grader.cli import run_checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", nargs="*", help="challenge ids (all when none given)")
    args = parser.parse_args()
    root = find_root()
    chosen = [c for c in load_catalog(root) if not args.only or c.id in args.only]
    with tempfile.TemporaryDirectory(prefix="cvg-examples-") as folder:
        for challenge in chosen:  # a folder of <id>.<ext>, the layout --solution FOLDER grades
            example = challenge.example_path(root)
            shutil.copyfile(example, Path(folder) / f"{challenge.id}{example.suffix}")
        started = time.perf_counter()
        run = run_checks(root, chosen, solution=Path(folder), profile="quick", seed=1, trusted=True, quiet=True,
                         jobs=args.jobs)
        wall = time.perf_counter() - started
    statuses = {}
    for c in run.challenges:
        statuses[c.status] = statuses.get(c.status, 0) + 1
    print(f"{len(chosen)} challenges in {wall:.1f} s with --jobs {args.jobs}: "
          + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    for c in sorted(run.challenges, key=lambda c: -c.duration_s)[:8]:
        print(f"  {c.id:24s} {c.status:10s} {c.duration_s:6.1f} s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end: {load:.1f}")


if __name__ == "__main__":
    main()
