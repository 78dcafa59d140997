"""Known cheating solutions, each caught with a named verdict (see tests/fixtures/cheats/)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]
CHEATS = ROOT / "tests" / "fixtures" / "cheats"
BOX_IOU = next(c for c in load_catalog(ROOT) if c.id == "box_iou")


def grade(name: str):
    return grade_challenge(BOX_IOU, ROOT, CHEATS / f"{name}.py", profile="quick", seed=1)


@pytest.mark.parametrize(
    "name, words",
    [
        ("import_module_reference", "dynamic import importlib.import_module('reference.ops.box_iou')"),
        ("dunder_import_reference", "dynamic import __import__('reference.ops.box_iou')"),
        ("steals_channel", "frame introspection sys._getframe"),
    ],
)
def test_forbidden(name, words):
    result = grade(name)
    assert result.status == "forbidden", (result.status, result.message)
    assert words in result.message


def test_patched_clocks_change_nothing():
    result = grade("patches_clock")
    assert result.status == "failed"
    assert any(t.name == "matches_reference" and t.status == "failed" for t in result.tests)
    assert 0 < result.duration_s < BOX_IOU.time_limit_s


def test_obfuscated_channel_theft_is_caught():
    """The result channel lives in the judge; the box holds nothing to steal."""
    result = grade("steals_channel_obfuscated")
    assert result.status in ("failed", "crashed", "error"), (result.status, result.message)


def test_ci_seed_is_not_visible_to_the_solution(tmp_path):
    """Under --ci the seed is drawn inside the grader: not in the solution's argv, environment or
    its ancestors' command lines (reads_seed prints every number in all three into its kept output)."""
    env = {k: v for k, v in os.environ.items() if k != "CV_GRADER_ROOT"}
    env["COLUMNS"] = "200"
    out = subprocess.run(
        [sys.executable, "-m", "grader", "check", "box_iou", "--ci", "--results-dir", str(tmp_path),
         "--solution", str(CHEATS / "reads_seed.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    data = json.loads((tmp_path / "cv-grader.json").read_text())
    seed, output = data["seed"], data["challenges"][0]["output"]
    seen = {line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1]) for line in output.splitlines() if line.startswith("CHEAT-")}
    assert set(seen) == {"CHEAT-ARGV", "CHEAT-ENV", "CHEAT-PARENTS"}, output
    assert all(seed not in numbers for numbers in seen.values())
    assert data["challenges"][0]["status"] == "failed"
