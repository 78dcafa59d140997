"""An installed (not editable) grader next to a checkout must keep importing its own packages.

With a wheel install nothing but sys.path decides where ``grader`` and ``reference`` come from, and
a checkout's ``reference/`` has no compiled kernels. ``scripts/wheel_check.sh`` (CI) tests the real
wheel; these are its two findings, cheap enough for every run.
"""

from __future__ import annotations

import subprocess
import sys

from grader import forks, suites


def test_a_plain_suite_name_leaves_the_root_off_sys_path(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "__init__.py").write_text("raise ImportError('the checkout shadowed the installed reference')\n")
    suite = suites.load(tmp_path, "box_iou")
    assert suite.name == "box_iou"
    assert str(tmp_path) not in sys.path


def test_grade_fork_runs_the_installed_grader_not_the_clones(tmp_path):
    # grade-fork runs the check with the clone as its working directory.
    for name in ("grader", "reference"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise SystemExit('the clone shadowed the installed {name}')\n")
    done = subprocess.run([sys.executable, "-c", forks.RUN_GRADER, "--help"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "grade-fork" in done.stdout
