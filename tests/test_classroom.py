"""Cohorts: the GitHub Classroom workflow (one test per challenge, with its points) stays in step
with the catalog, and the roster report turns many students' results files into a gradebook."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from grader.catalog import load_catalog
from grader.classroom import GPU_TRACKS, roster, workflow

ROOT = Path(__file__).resolve().parents[1]
CATALOG = load_catalog(ROOT)


def test_the_committed_classroom_workflow_is_what_the_generator_makes():
    hosted = [c for c in CATALOG if c.track not in GPU_TRACKS]
    text = workflow(hosted, "cv-grader/cv-grader", "v0.1.0")
    assert (ROOT / "classroom" / "classroom.yml").read_text() == text, \
        "regenerate: grader classroom-workflow --ref v0.1.0 --out classroom/classroom.yml"


def test_each_challenge_is_one_test_worth_its_points_and_the_reporter_reads_them_all():
    steps = yaml.safe_load((ROOT / "classroom" / "classroom.yml").read_text())["jobs"]["run-autograding-tests"]["steps"]
    tests = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
    by_name = {s["with"]["test-name"]: s for s in tests}
    assert set(by_name) == {c.id for c in CATALOG if c.track not in GPU_TRACKS}, "no GPU track: it would be skipped"
    for challenge in CATALOG:
        if challenge.id in by_name:
            step = by_name[challenge.id]
            assert step["with"]["max-score"] == challenge.points
            assert step["with"]["command"].startswith(f"grader grade-fork {challenge.id} ")
    reporter = next(s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter"))
    runners = reporter["with"]["runners"].split(",")
    assert runners == [s["id"] for s in tests]
    assert all(reporter["env"][f"{r.upper()}_RESULTS"] == f"${{{{steps.{r}.outputs.result}}}}" for r in runners)


def _results(folder: Path, name: str, graded_at: str, statuses: dict, failing: dict | None = None) -> Path:
    failing = failing or {}
    challenges = [{"id": cid, "status": status, "points": 10,
                   "tests": [{"name": failing.get(cid, "matches_reference"), "status": "failed"}] if status == "failed" else []}
                  for cid, status in statuses.items()]
    path = folder / name / f"cv-grader-{graded_at.replace(':', '')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": 1, "graded_at": graded_at, "challenges": challenges}))
    return path


def test_the_roster_gives_a_gradebook_and_per_challenge_figures(tmp_path):
    paths = [
        _results(tmp_path, "ada", "2026-11-01T10:00:00Z", {"box_iou": "failed", "nms": "not_started"}),
        _results(tmp_path, "ada", "2026-11-02T10:00:00Z", {"box_iou": "passed", "nms": "failed"}, {"nms": "strict_threshold"}),
        _results(tmp_path, "bob", "2026-11-01T11:00:00Z", {"box_iou": "passed", "nms": "passed"}),
        _results(tmp_path, "cy", "2026-11-01T12:00:00Z", {"box_iou": "failed", "nms": "failed"}, {"nms": "strict_threshold"}),
    ]
    table, summary = roster(paths)
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [(r["student"], r["score"], r["box_iou"], r["nms"]) for r in rows] == [
        ("ada", "10", "passed", "failed"), ("bob", "20", "passed", "passed"), ("cy", "0", "failed", "failed")]
    assert all(r["max_score"] == "20" for r in rows)
    assert "| box_iou | 2 of 3 | 1 | matches_reference (2×) |" in summary, summary
    assert "| nms | 1 of 3 | 1 | strict_threshold (2×) |" in summary, summary


def test_roster_report_on_the_command_line(tmp_path):
    paths = [_results(tmp_path, "ada", "2026-11-01T10:00:00Z", {"box_iou": "passed"})]
    (tmp_path / "junk.json").write_text("[1, 2]")
    env = {**os.environ, "CV_GRADER_ROOT": str(ROOT)}
    run = [sys.executable, "-m", "grader", "roster-report", "--csv", str(tmp_path / "g.csv"), "--markdown", str(tmp_path / "r.md")]
    good = subprocess.run([*run, *map(str, paths)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert good.returncode == 0 and (tmp_path / "g.csv").read_text().startswith("student,score,max_score,box_iou")
    bad = subprocess.run([*run, str(tmp_path / "junk.json")], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "not a cv-grader results file" in bad.stdout, bad.stdout
