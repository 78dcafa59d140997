"""`grader new`: a new Python challenge is one folder plus one reference and one suite file, and
`grader validate` names every placeholder and every missing mutant until the author has written them.

The scratch checkout is imported instead of this one with ``python -S`` and an explicit path: the
editable install's import hook would otherwise win over PYTHONPATH and load this checkout's grader.
"""

import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "new_challenge"
COPIED = ("grader", "reference", "challenges", "tests", "csrc", "CMakeLists.txt", "pyproject.toml")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("checkout")
    ignore = shutil.ignore_patterns("__pycache__", "solution.*", "*.so", ".hypothesis")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copyfile(source, root / name)
    return root


def grader(root: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(root), *site.getsitepackages()])
    env = {**os.environ, "CV_GRADER_ROOT": str(root), "PYTHONPATH": path, "COLUMNS": "300"}
    return subprocess.run([sys.executable, "-S", "-m", "grader", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_grader_new_writes_one_folder_one_reference_one_suite_and_validate_names_what_is_left(scratch):
    made = grader(scratch, "new", "flip_boxes", "--area", "detection", "--difficulty", "easy")
    assert made.returncode == 0, made.stdout + made.stderr
    written = sorted(line.split("wrote ")[1] for line in made.stdout.splitlines() if "wrote " in line)
    assert written == sorted([
        "challenges/flip_boxes/challenge.toml", "challenges/flip_boxes/README.md", "challenges/flip_boxes/stub.py",
        "challenges/flip_boxes/mutants.toml", "reference/ops/flip_boxes.py", "grader/suites/flip_boxes.py",
    ])
    toml = (scratch / "challenges/flip_boxes/challenge.toml").read_text()
    # Ten past the last detection challenge (iou at 10 … roi_align at 150, fpn 160, focal_loss 170).
    assert re.search(r"^order = 180$", toml, re.MULTILINE), toml

    again = grader(scratch, "new", "flip_boxes", "--area", "detection")
    assert again.returncode == 2 and "exists already" in again.stdout

    unfinished = grader(scratch, "validate", "flip_boxes")
    assert unfinished.returncode == 1
    out = " ".join(unfinished.stdout.split())
    assert "✘ flip_boxes: no 'TODO(grader new)' placeholder left" in out
    for path in ("challenges/flip_boxes/README.md:", "reference/ops/flip_boxes.py:1", "grader/suites/flip_boxes.py:1"):
        assert path in out, out
    assert "✘ flip_boxes: has 4+ known-wrong solutions — 1 in" in out

    # The author writes the statement, stub, reference, suite and mutants (here: from a fixture).
    folder = scratch / "challenges" / "flip_boxes"
    for name in ("README.md", "stub.py", "mutants.toml"):
        shutil.copyfile(FIXTURE / name, folder / name)
    (folder / "challenge.toml").write_text((FIXTURE / "challenge.toml").read_text().replace("ORDER", "180"))
    shutil.copyfile(FIXTURE / "reference.py", scratch / "reference" / "ops" / "flip_boxes.py")
    shutil.copyfile(FIXTURE / "suite.py", scratch / "grader" / "suites" / "flip_boxes.py")
    assert grader(scratch, "manifest", "--write").returncode == 0

    done = grader(scratch, "validate", "flip_boxes")
    assert done.returncode == 0, done.stdout + done.stderr
    for mutant in ("no_swap", "plus_one_pixel", "always_float32", "flips_in_place"):
        assert f"✔ flip_boxes: rejects {mutant}" in done.stdout
    listed = grader(scratch, "list")
    assert "flip_boxes" in listed.stdout


@pytest.mark.parametrize("args, says", [
    (("new", "FlipBoxes", "--area", "detection"), "expected a lower-case Python identifier"),
    (("new", "flip_boxes2", "--area", "robotics"), "expected one of classification, detection"),
    (("new", "box_iou", "--area", "detection"), "box_iou exists already"),
])
def test_grader_new_refuses_what_it_cannot_make_and_says_why(scratch, args, says):
    refused = grader(scratch, *args)
    assert refused.returncode == 2 and says in " ".join(refused.stdout.split()), refused.stdout + refused.stderr
