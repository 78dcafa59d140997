"""Cohorts on GitHub Classroom and beyond: the autograding workflow for a Classroom template
repository (one test per challenge, with its points, so partial credit shows per exercise), and the
roster report that turns many students' results files into one gradebook.

The workflow grades like ``grade.yml``: the upstream is checked out at a pinned ref and installed,
and each challenge is graded with ``grader grade-fork <id>``, which takes only
``challenges/<id>/solution.*`` from the student's repository, so editing the grader there changes
nothing.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from pathlib import Path

from grader.catalog import Challenge

HEADER = """\
# GitHub Classroom autograding for cv-grader, made by `grader classroom-workflow`: copy it to
# .github/workflows/classroom.yml in the assignment's template repository. Each challenge is one
# Classroom test worth its points. Only challenges/<id>/solution.* is taken from the student's
# repository; the tests and the grader come from UPSTREAM_REPO at UPSTREAM_REF (pin a tag).
# GitHub's hosted runners have no GPU, so the CUDA tracks are left out unless named.
"""


GPU_TRACKS = ("cuda", "numba-cuda")


def gradable_on_hosted_runners(challenges: list[Challenge]) -> list[Challenge]:
    """GitHub's hosted runners have no GPU: a GPU track would be skipped there, and a skipped
    challenge must not earn its points, so those are left out unless named."""
    return [c for c in challenges if c.track not in GPU_TRACKS]


def workflow(challenges: list[Challenge], upstream: str, ref: str, torch_version: str = "2.13.0") -> str:
    lines = [HEADER.rstrip(), "name: Autograding Tests", "", "on:", "  - push", "  - workflow_dispatch", "",
             "permissions:", "  checks: write", "  actions: read", "  contents: read", "", "env:",
             f"  UPSTREAM_REPO: {upstream}", f"  UPSTREAM_REF: {ref}", f"  TORCH_VERSION: {torch_version}", "",
             "jobs:", "  run-autograding-tests:", "    runs-on: ubuntu-latest",
             "    if: github.actor != 'github-classroom[bot]'", "    timeout-minutes: 120", "    steps:",
             "      - name: Check out the student's repository (solutions only are used)",
             "        uses: actions/checkout@v4", "        with:", "          path: student",
             "      - name: Check out the upstream at the pinned ref (tests and grader)",
             "        uses: actions/checkout@v4", "        with:", "          repository: ${{ env.UPSTREAM_REPO }}",
             "          ref: ${{ env.UPSTREAM_REF }}", "          path: upstream", "          fetch-depth: 0",
             "      - uses: actions/setup-python@v5", "        with:", '          python-version: "3.11"',
             "      - name: Install CPU torch and the upstream grader", "        run: |",
             '          python -m pip install "torch==${TORCH_VERSION}" --index-url https://download.pytorch.org/whl/cpu',
             "          bash upstream/scripts/setup.sh"]
    for c in challenges:
        lines += [f"      - name: {c.id}", f"        id: {c.id.replace('_', '-')}",
                  "        uses: classroom-resources/autograding-command-grader@v1", "        with:",
                  f"          test-name: {c.id}",
                  f'          command: grader grade-fork {c.id} --upstream "$GITHUB_WORKSPACE/upstream" '
                  f'--ref "$UPSTREAM_REF" --fork "$GITHUB_WORKSPACE/student" --results-dir "$GITHUB_WORKSPACE/results/{c.id}"',
                  "          timeout: 15", f"          max-score: {c.points}"]
    lines += ["      - name: Autograding Reporter", "        uses: classroom-resources/autograding-grading-reporter@v1",
              "        env:"]
    # The reporter reads each runner's result from <STEP ID IN CAPITALS>_RESULTS.
    lines += [f"          {c.id.replace('_', '-').upper()}_RESULTS: \"${{{{steps.{c.id.replace('_', '-')}.outputs.result}}}}\""
              for c in challenges]
    lines += ["        with:", f"          runners: {','.join(c.id.replace('_', '-') for c in challenges)}",
              "      - name: Keep the results files (for grader roster-report)", "        if: always()",
              "        uses: actions/upload-artifact@v4", "        with:", "          name: cv-grader-results",
              "          path: results/", "          if-no-files-found: warn"]
    return "\n".join(lines) + "\n"


# --- the roster report ------------------------------------------------------------------------------


def _runs(paths: list[Path]) -> dict[str, list[dict]]:
    """{student: [results, oldest first]}: a student is the folder a results file sits in (one
    downloaded artifact per student), several files of one student are several runs."""
    by_student: dict[str, list[tuple[str, str, dict]]] = {}
    for path in paths:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "challenges" not in data:
            raise ValueError(f"{path} is not a cv-grader results file (no 'challenges')")
        student = path.parent.name if path.parent.name not in ("", ".", "results") else path.stem
        by_student.setdefault(student, []).append((data.get("graded_at") or "", str(path), data))
    return {s: [d for _, _, d in sorted(runs, key=lambda r: (r[0], r[1]))] for s, runs in sorted(by_student.items())}


def roster(paths: list[Path]) -> tuple[str, str]:
    """(gradebook CSV, Markdown summary) of the results files at ``paths``."""
    students = _runs(paths)
    challenge_ids: list[str] = []
    points: dict[str, int] = {}
    for runs in students.values():
        for run in runs:
            for c in run["challenges"]:
                if c["id"] not in points:
                    challenge_ids.append(c["id"])
                points[c["id"]] = int(c.get("points") or 0)
    best: dict[str, dict[str, str]] = {}  # student -> challenge -> best status over the runs
    attempts: dict[str, list[int]] = {c: [] for c in challenge_ids}
    failing: dict[str, Counter] = {c: Counter() for c in challenge_ids}
    for student, runs in students.items():
        best[student] = {}
        for cid in challenge_ids:
            tries = 0
            for run in runs:
                entry = next((c for c in run["challenges"] if c["id"] == cid), None)
                if entry is None or entry["status"] in ("not_started", "skipped"):
                    continue
                tries += 1
                failing[cid].update(t["name"] for t in entry.get("tests", []) if t["status"] == "failed")
                if entry["status"] == "passed":
                    best[student][cid] = "passed"
                    break
                best[student][cid] = entry["status"]
            if tries:
                attempts[cid].append(tries)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "score", "max_score", *challenge_ids])
    total = sum(points.values())
    for student, statuses in best.items():
        earned = sum(points[c] for c, status in statuses.items() if status == "passed")
        writer.writerow([student, earned, total, *(statuses.get(c, "not_started") for c in challenge_ids)])
    lines = ["## cv-grader roster", "", f"{len(students)} students, {len(paths)} results files.", "",
             "| challenge | solved | median attempts | most common failing property |", "| --- | --- | --- | --- |"]
    for cid in challenge_ids:
        solved = sum(statuses.get(cid) == "passed" for statuses in best.values())
        median = f"{statistics.median(attempts[cid]):g}" if attempts[cid] else "—"
        common = failing[cid].most_common(1)
        worst = f"{common[0][0]} ({common[0][1]}×)" if common else "—"
        lines.append(f"| {cid} | {solved} of {len(students)} | {median} | {worst} |")
    return out.getvalue(), "\n".join(lines) + "\n"
