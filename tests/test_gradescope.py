"""`grader gradescope-bundle`: the zip Gradescope takes, and its run_autograder end to end against a
fake /autograder tree (CVG_AUTOGRADER_ROOT), with this environment's grader (CVG_PYTHON) in place of
what setup.sh installs. The results.json is checked against Gradescope's documented fields
(https://gradescope-autograders.readthedocs.io/en/latest/specs/)."""

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import __version__, exports, gradescope, manifest
from tests.test_golden_outputs import _run as golden_run

ROOT = Path(__file__).resolve().parents[1]
CHALLENGE = "box_iou"  # one quick Python challenge keeps each run to about 15 s
WRONG_PROPERTY = "disjoint_boxes_give_zero"


def cli(*args, cwd: Path = ROOT):
    env = {k: v for k, v in os.environ.items() if k != "CV_GRADER_ROOT"}
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A stand-in for the project's wheel (building the real one compiles the C++ kernels, about a
    minute): the bundle only checks its name and that it is a zip, and these tests skip setup.sh."""
    path = tmp_path_factory.mktemp("wheel") / f"cv_grader-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"cv_grader-{__version__}.dist-info/METADATA", f"Name: cv-grader\nVersion: {__version__}\n")
    return path


def _bundle(folder: Path, wheel: Path, *extra: str) -> Path:
    out = folder / "cv-grader-autograder.zip"
    done = cli("gradescope-bundle", str(out), CHALLENGE, "--wheel", str(wheel), *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"wrote {out}" in done.stdout.replace("\n", "")
    return out


def _autograder(folder: Path, bundle: Path) -> Path:
    """A fake /autograder as Gradescope lays it out: the zip in source/, run_autograder copied up."""
    root = folder / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission" / "challenges" / CHALLENGE).mkdir(parents=True)
    return root


def _start(root: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "CV_GRADER_ROOT"}
    env.update({gradescope.AUTOGRADER_ENV: str(root), gradescope.PYTHON_ENV: sys.executable, "COLUMNS": "200"})
    return subprocess.Popen([str(root / "run_autograder")], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wrong_solution() -> str:
    """The reference without the clamp of the intersection's sides: disjoint boxes get a positive area."""
    source = (ROOT / "reference" / "ops" / "box_iou.py").read_text()
    clamped = "sides = (bottom_right - top_left).clamp(min=0)"
    assert clamped in source
    return source.replace(clamped, "sides = bottom_right - top_left")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, wheel):
    """Two submissions graded: the reference (with a link and stray files beside it) in a
    bundle showing replays, and a wrong solution in a bundle built with --hide-replay."""
    right_root = _autograder(tmp_path_factory.mktemp("right"), _bundle(tmp_path_factory.mktemp("b1"), wheel))
    submitted = right_root / "submission" / "challenges"
    shutil.copyfile(ROOT / "reference" / "ops" / "box_iou.py", submitted / CHALLENGE / "solution.py")
    (submitted / CHALLENGE / "notes.txt").write_text("not a solution\n")
    (submitted / "nms").mkdir()
    (submitted / "nms" / "solution.py").symlink_to(ROOT / "reference" / "ops" / "nms.py")
    (right_root / "submission" / "grader").mkdir()
    (right_root / "submission" / "grader" / "__init__.py").write_text("raise SystemExit('a planted grader')\n")

    wrong_root = _autograder(tmp_path_factory.mktemp("wrong"),
                             _bundle(tmp_path_factory.mktemp("b2"), wheel, "--hide-replay"))
    (wrong_root / "submission" / "challenges" / CHALLENGE / "solution.py").write_text(_wrong_solution())

    found = {}
    # One after the other (about 15 s each): two at once on a small, busy machine can hit the time limit.
    for name, root in (("right", right_root), ("wrong", wrong_root)):
        process = _start(root)
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output
        found[name] = (json.loads((root / "results" / "results.json").read_text()), output)
    return found


# --- Gradescope's results.json, as documented -----------------------------------------------------------

VISIBILITY = set(exports.GRADESCOPE_VISIBILITY)
OUTPUT_FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP_LEVEL = {"score": (int, float), "max_score": (int, float), "execution_time": (int, float), "output": str,
             "output_format": str, "visibility": str, "stdout_visibility": str, "extra_data": dict, "tests": list}
TEST_FIELDS = {"score": (int, float), "max_score": (int, float), "name": str, "number": str, "output": str,
               "status": str, "visibility": str}


def check_results_json(data: dict) -> None:
    """Types and allowed values of every field Gradescope documents, and scores that add up."""
    assert isinstance(data, dict)
    for key, value in data.items():
        assert key in TOP_LEVEL, f"unexpected top-level field {key!r}"
        assert isinstance(value, TOP_LEVEL[key]) and not isinstance(value, bool), (key, value)
    assert "score" in data or all("score" in t for t in data.get("tests", [])), "a score is required"
    for key in ("visibility", "stdout_visibility"):
        if key in data:
            assert data[key] in VISIBILITY, (key, data[key])
    if "output_format" in data:
        assert data["output_format"] in OUTPUT_FORMATS
    if "execution_time" in data:
        assert data["execution_time"] >= 0
    numbers = []
    for test in data.get("tests", []):
        for key, value in test.items():
            assert key in TEST_FIELDS, f"unexpected test field {key!r}"
            assert isinstance(value, TEST_FIELDS[key]) and not isinstance(value, bool), (key, value)
        assert test["status"] in exports.GRADESCOPE_STATUS
        assert test["visibility"] in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"], test["name"]
        numbers.append(test["number"])
    assert len(set(numbers)) == len(numbers), "test numbers are unique"
    tests = data.get("tests", [])
    assert data["score"] == sum(t["score"] for t in tests)
    assert data["score"] <= sum(t["max_score"] for t in tests)
    extra = data.get("extra_data", {})
    assert extra.get("grader_version") == __version__
    assert isinstance(extra.get("official"), bool)


@pytest.mark.parametrize("hide_replay", [False, True])
def test_the_exported_results_follow_gradescopes_format(hide_replay):
    data = exports.gradescope(golden_run(), hide_replay=hide_replay, execution_time=12.4)
    check_results_json(data)
    assert data["execution_time"] == 12 and data["extra_data"]["seed"] == 7
    # Each challenge is one test worth its points, each of its properties one test worth nothing.
    assert [t["number"] for t in data["tests"][:4]] == ["1", "1.1", "1.2", "2"]
    assert data["tests"][3]["name"].startswith("nms") and data["tests"][3]["max_score"] == 10
    assert data["tests"][4] == {**data["tests"][4], "name": "nms › strict_threshold", "status": "failed"}
    assert "kept indices: expected [0, 1], got [0]" in data["tests"][4]["output"]
    replay = "grader check nms --only strict_threshold"
    shown = [t for t in data["tests"] if t["visibility"] == "visible"]
    assert any(replay in t["output"] for t in shown) != hide_replay
    assert ("seed 7" in data["output"]) != hide_replay


# --- the bundle -----------------------------------------------------------------------------------------


def test_bundle_holds_setup_run_wheel_and_the_challenges(tmp_path, wheel):
    bundle = _bundle(tmp_path, wheel)
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        config = json.loads(archive.read(gradescope.CONFIG))
    for script in ("setup.sh", "run_autograder"):
        mode = infos[script].external_attr >> 16
        assert stat.S_ISREG(mode) and mode & 0o111 == 0o111, f"{script} must be executable"
    assert run.startswith("#!") and setup.startswith("#!/usr/bin/env bash")
    for script in (setup, run):
        assert subprocess.run(["bash", "-n", "-c", script]).returncode == 0
    assert wheel.name in infos and config["wheel"] == wheel.name
    assert config == {**config, "grader_version": __version__, "ids": [CHALLENGE], "profile": "ci", "hide_replay": False}
    # The exact version: this wheel, checked once installed, after CPU torch pinned to this machine's.
    torch = gradescope.torch_version()
    torch_line = f"pip install torch=={torch} --index-url https://download.pytorch.org/whl/cpu"
    assert torch_line in setup
    assert setup.index(torch_line) < setup.index(wheel.name)
    assert f'grader.__version__ == "{__version__}"' in setup
    assert "apt-get install" in setup and " cmake " in setup and " g++ " in setup and "python3-dev" in setup
    # The challenges catalog (statements, stubs, mutants) and every file the manifest records, no solution.
    recorded = [p for p in manifest.compute(ROOT) if not p.startswith("grader/__pycache__")]
    missing = [p for p in recorded if f"{gradescope.TREE}/{p}" not in infos]
    assert not missing, missing[:5]
    assert f"{gradescope.TREE}/grader/manifest.json" in infos
    assert f"{gradescope.TREE}/challenges/{CHALLENGE}/README.md" in infos
    assert f"{gradescope.TREE}/challenges/{CHALLENGE}/challenge.toml" in infos
    assert any(name.startswith(f"{gradescope.TREE}/challenges/{CHALLENGE}/mutants") for name in infos) or \
        (ROOT / "challenges" / CHALLENGE / "mutants.toml").is_file()
    assert not [n for n in infos if manifest.is_candidate_file(n.removeprefix(f"{gradescope.TREE}/"))]


def test_bad_input_is_a_usage_error_naming_what_was_expected(tmp_path, wheel):
    cases = [
        ((str(tmp_path / "bundle.tar"), CHALLENGE), "expected a path ending in .zip"),
        ((str(tmp_path / "b.zip"), "box_iuo"), "unknown challenge id(s): box_iuo"),
        ((str(tmp_path / "no" / "such" / "b.zip"), CHALLENGE), "expected OUT.zip in an existing, writable folder"),
        ((str(tmp_path), CHALLENGE), "expected a path ending in .zip"),
        ((str(tmp_path / "b.zip"), CHALLENGE, "--profile", "quick"), "expected one of ci, thorough"),
        ((str(tmp_path / "b.zip"), CHALLENGE, "--wheel", str(tmp_path / "other-1.0-py3-none-any.whl")),
         f"cv_grader-{__version__}-*.whl"),
        ((str(tmp_path / "b.zip"), CHALLENGE, "--wheel", str(tmp_path / f"cv_grader-{__version__}-py3-none-any.whl")),
         "no such file"),
    ]
    for args, expected in cases:
        done = cli("gradescope-bundle", *args, "--wheel", str(wheel)) if "--wheel" not in args else \
            cli("gradescope-bundle", *args)
        assert done.returncode == 2, (args, done.stdout + done.stderr)
        assert expected in " ".join(done.stdout.split()), (args, done.stdout)
        assert "Traceback" not in done.stdout + done.stderr
    assert not list(tmp_path.glob("*.zip"))


# --- run_autograder against a fake /autograder ------------------------------------------------------------


def test_a_correct_submission_earns_the_points_and_strays_are_ignored(graded):
    data, output = graded["right"]
    check_results_json(data)
    assert data["score"] == data["max_score"] == 10, output
    challenge, *properties = data["tests"]
    assert challenge["status"] == "passed" and challenge["score"] == 10 and challenge["name"].startswith(CHALLENGE)
    assert len(properties) >= 5 and all(t["status"] == "passed" and t["max_score"] == 0 for t in properties)
    assert all(t["name"].startswith(f"{CHALLENGE} › ") for t in properties)
    # The link is named and not graded; the stray files (a planted grader too) are never looked at.
    assert "not graded: challenges/nms/solution.py (a symbolic link)" in data["output"]
    assert "planted" not in output and "notes.txt" not in json.dumps(data)
    extra = data["extra_data"]
    assert isinstance(extra["seed"], int) and extra["profile"] == "ci" and extra["replay_hidden"] is False
    assert f"seed {extra['seed']}" in data["output"] and f"cv-grader {__version__}" in data["output"]
    assert ("official" if extra["official"] else "unofficial") in data["output"]
    assert data["stdout_visibility"] == "visible"


def test_a_wrong_submission_names_the_failing_property_and_hides_the_replay(graded):
    data, output = graded["wrong"]
    check_results_json(data)
    assert data["score"] == 0 and data["max_score"] == 10
    challenge = data["tests"][0]
    assert challenge["status"] == "failed" and challenge["score"] == 0
    failing = next(t for t in data["tests"] if t["name"] == f"{CHALLENGE} › {WRONG_PROPERTY}")
    assert failing["status"] == "failed" and failing["visibility"] == "visible"
    assert failing["output"].startswith(f"{WRONG_PROPERTY}: ") and "expected 0" in failing["output"]
    assert f"{WRONG_PROPERTY}: " in challenge["output"] and "call: box_iou(" in challenge["output"]
    # --hide-replay: neither the replay nor the seed in anything a student sees before publishing.
    seed = data["extra_data"]["seed"]
    assert isinstance(seed, int) and data["extra_data"]["replay_hidden"] is True
    shown = [data["output"], *(t["output"] for t in data["tests"] if t["visibility"] == "visible")]
    assert not [text for text in shown if "replay" in text or str(seed) in text]
    assert data["stdout_visibility"] == "hidden"
    hidden = [t for t in data["tests"] if t["visibility"] == exports.HIDDEN_REPLAY_VISIBILITY]
    assert len(hidden) == 1 and hidden[0]["max_score"] == 0
    assert f"grader check {CHALLENGE} --only {WRONG_PROPERTY} --profile ci --seed {seed}" in hidden[0]["output"]
    assert WRONG_PROPERTY in data["extra_data"]["replays"][f"{CHALLENGE} {WRONG_PROPERTY}"]


def test_a_run_that_cannot_grade_still_writes_results(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    assert gradescope.run(root, echo=lambda *_: None) == 1
    data = json.loads((root / "results" / "results.json").read_text())
    check_results_json(data)
    assert data["score"] == 0 and "could not grade" in data["output"] and data["extra_data"]["official"] is False


def test_a_zipped_repository_folder_is_found_one_level_down(tmp_path):
    submission = tmp_path / "submission"
    (submission / "cv-grader-main" / "challenges" / CHALLENGE).mkdir(parents=True)
    assert gradescope.submitted_checkout(submission) == submission / "cv-grader-main"
    (submission / "__MACOSX").mkdir()  # what macOS's Finder adds to a zip: not a second folder
    (submission / ".git").mkdir()
    assert gradescope.submitted_checkout(submission) == submission / "cv-grader-main"
    (submission / "notes").mkdir()  # two folders: nothing to guess, the submission is taken as it is
    assert gradescope.submitted_checkout(submission) == submission
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "repo").symlink_to(submission / "cv-grader-main")
    assert gradescope.submitted_checkout(linked) == linked
