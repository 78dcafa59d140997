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


def _project_with_suite(tmp_path: Path, name: str, text: str) -> Path:
    """A project root that is this one except for one suite file."""
    root = tmp_path / "project"
    (root / "tests" / "suites").mkdir(parents=True)
    for part in ("challenges", "reference", "csrc"):
        (root / part).symlink_to(ROOT / part)
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "suites" / "__init__.py").write_text("")
    (root / "tests" / "suites" / "strategies.py").symlink_to(ROOT / "tests" / "suites" / "strategies.py")
    (root / "tests" / "suites" / f"{name}.py").write_text(text)
    return root


def test_a_broken_suite_is_reported_as_the_graders_bug_naming_the_file(tmp_path):
    challenge = next(c for c in load_catalog(ROOT) if c.id == "iou_variants")
    root = _project_with_suite(tmp_path, challenge.suite, "import torch\n\nraise RuntimeError('a typo in the suite')\n")
    result = grade_challenge(challenge, root, ROOT / challenge.example, profile="quick", seed=0, trusted=True)
    assert result.status == "internal", f"{result.status}: {result.message}"
    assert "not your code" in result.message and "a typo in the suite" in result.message
    assert f"tests/suites/{challenge.suite}.py:3" in result.message, result.message


def test_a_property_that_raises_inside_the_suite_is_not_blamed_on_a_correct_solution(tmp_path):
    """A suite whose strategy is broken (hypothesis raises InvalidArgument) reports the grader's bug."""
    challenge = next(c for c in load_catalog(ROOT) if c.id == "iou_variants")
    suite = (
        "from hypothesis import given, strategies as st\n"
        "from grader.suite import Suite\n\n"
        f"suite = Suite({challenge.suite!r})\n\n\n"
        "@suite.property('draws from an impossible range')\n"
        "@given(x=st.integers(5, 1))\n"
        "def impossible(sol, x):\n"
        "    pass\n"
    )
    root = _project_with_suite(tmp_path, challenge.suite, suite)
    result = grade_challenge(challenge, root, ROOT / challenge.example, profile="quick", seed=0, trusted=True)
    assert result.status == "internal", f"{result.status}: {result.message}"
    assert "bug in the grader" in result.tests[0].message, result.tests[0].message
