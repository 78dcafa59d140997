"""The judge's guarantees that do not depend on the sandbox: what it does when a box leaves a
process behind, and that a run without confinement is never official."""

import json
import os
import subprocess
import sys
from pathlib import Path

from grader.catalog import load_catalog
from grader.running import SANDBOX_ENV, grade_challenge

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "judge"
BOX_IOU = next(c for c in load_catalog(ROOT) if c.id == "box_iou")


def test_a_confined_box_cannot_start_a_process():
    result = grade_challenge(BOX_IOU, ROOT, FIXTURES / "leaves_a_process.py", profile="quick", seed=1)
    assert result.status == "error" and "importing the solution raised PermissionError" in result.message
    assert result.sandbox is None or result.sandbox["official"]


def test_a_process_left_behind_is_killed_and_named(monkeypatch):
    monkeypatch.setenv(SANDBOX_ENV, "off")  # unconfined, as on a machine without Landlock
    result = grade_challenge(BOX_IOU, ROOT, FIXTURES / "leaves_a_process.py", profile="quick", seed=1)
    assert result.status == "error", (result.status, result.message)
    assert "left 1 process(es) running; they were killed" in result.message
    assert result.sandbox == {"official": False, "reason": "the sandbox was turned off (CVG_SANDBOX=off)"}


def test_an_unconfined_ci_run_is_not_official(tmp_path):
    env = {**os.environ, SANDBOX_ENV: "off", "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "grader", "check", "box_iou", "--ci", "--results-dir", str(tmp_path),
         "--solution", str(ROOT / "reference" / "ops" / "box_iou.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    data = json.loads((tmp_path / "cv-grader.json").read_text())
    assert data["official"] is False, out.stdout
    assert "not confined (the sandbox was turned off" in data["unofficial_reason"]
    assert "not confined" in (tmp_path / "summary.md").read_text()


def _with_suite(challenge_id: str, suite: str):
    """The challenge graded by one of tests/fixtures/suites/ instead of its own suite."""
    from dataclasses import replace

    return replace(next(c for c in load_catalog(ROOT) if c.id == challenge_id), suite=f"tests.fixtures.suites.{suite}")


def test_a_broken_suite_is_reported_as_the_graders_bug_naming_the_file():
    challenge = _with_suite("iou_variants", "broken_at_import")
    result = grade_challenge(challenge, ROOT, ROOT / challenge.example, profile="quick", seed=0, trusted=True)
    assert result.status == "internal", f"{result.status}: {result.message}"
    assert "not your code" in result.message and "a typo in the suite" in result.message
    assert "tests/fixtures/suites/broken_at_import.py:5" in result.message, result.message


def test_a_property_that_raises_inside_the_suite_is_not_blamed_on_a_correct_solution():
    """A suite whose strategy is broken (hypothesis raises InvalidArgument) reports the grader's bug."""
    challenge = _with_suite("iou_variants", "impossible_strategy")
    result = grade_challenge(challenge, ROOT, ROOT / challenge.example, profile="quick", seed=0, trusted=True)
    assert result.status == "internal", f"{result.status}: {result.message}"
    assert "bug in the grader" in result.tests[0].message, result.tests[0].message


def test_what_the_suite_and_the_reference_print_is_not_shown_as_the_candidates_output():
    challenge = _with_suite("box_iou_numba", "noisy")
    result = grade_challenge(challenge, ROOT, ROOT / challenge.example, profile="quick", seed=0, trusted=True,
                             only=["speed"])
    assert "speed" in {t.name for t in result.tests}, f"{result.status}: {result.message}"
    assert "noise from the suite" not in result.output, result.output


def test_a_temporary_folder_made_at_import_lands_in_the_boxs_scratch():
    # tempfile caches its folder: the forkserver had asked before TMPDIR pointed at the scratch.
    result = grade_challenge(BOX_IOU, ROOT, FIXTURES / "makes_a_temporary_folder.py", profile="quick", seed=1)
    assert result.status == "passed", (result.status, result.message)


def test_only_the_gpu_tracks_boxes_get_the_gpu(monkeypatch):
    from grader import running

    catalog = {c.track: c for c in load_catalog(ROOT)}
    monkeypatch.setattr(running, "gpu_present", lambda: True)
    assert {track: running.uses_gpu(c) for track, c in catalog.items()} == {
        "python": False, "numba": False, "cpp": False, "cuda": True, "numba-cuda": True}
    monkeypatch.setattr(running, "gpu_present", lambda: False)
    assert not any(running.uses_gpu(c) for c in catalog.values())
