"""The command line end to end, in a subprocess, against a scratch copy of the checkout."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from grader import mutants
from grader.catalog import load_challenge

ROOT = Path(__file__).resolve().parents[1]


def box_iou_mutant(name: str) -> Path:
    return mutants.file_for(ROOT, load_challenge(ROOT / "challenges" / "box_iou"), name)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A copy of the repository the tests may edit (solution files, hint and state records)."""
    target = tmp_path_factory.mktemp("checkout")
    for name in ("challenges", "grader", "reference", "tests"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.so", "solution.py", "*.bak*"))
    return target


def grader(*args, cwd: Path, env_root: Path | None = None, timeout: int = 120):
    env = dict(os.environ)
    env.pop("CV_GRADER_ROOT", None)
    env["COLUMNS"] = "200"  # rich wraps to the terminal; keep each verdict on one line
    if env_root is not None:
        env["CV_GRADER_ROOT"] = str(env_root)
    return subprocess.run(
        [sys.executable, "-m", "grader", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_list_shows_every_challenge_with_status(checkout):
    out = grader("list", cwd=checkout)
    assert out.returncode == 0, out.stderr
    assert "box_iou" in out.stdout and "not started" in out.stdout and "passing" in out.stdout


def test_check_stub_reads_not_started(checkout):
    out = grader("check", "box_iou", cwd=checkout)
    assert out.returncode == 1
    assert "not started" in out.stdout and "Traceback" not in out.stdout + out.stderr


def test_check_passing_solution(checkout, tmp_path):
    solution = tmp_path / "mine.py"
    shutil.copyfile(ROOT / "reference" / "ops" / "box_iou.py", solution)
    out = grader("check", "box_iou", "--solution", str(solution), cwd=checkout)
    assert out.returncode == 0, out.stdout
    assert "passed" in out.stdout and "1 of 1 passing" in out.stdout


def test_check_failing_solution_names_property_and_replays(checkout):
    out = grader("check", "box_iou", "--solution", str(box_iou_mutant("plus_one_pixel")), "--seed", "7", cwd=checkout)
    assert out.returncode == 1
    assert "matches_reference" in out.stdout and "call: box_iou(boxes1=" in out.stdout
    replay = next(line.split("replay:", 1)[1].strip() for line in out.stdout.splitlines() if "replay:" in line)
    assert "--seed 7" in replay
    again = subprocess.run(replay.replace("grader", f"{sys.executable} -m grader", 1), shell=True, cwd=checkout,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "failed" in again.stdout


def test_json_and_junit(checkout, tmp_path):
    json_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"
    out = grader("check", "box_iou", "--solution", str(box_iou_mutant("no_clamp")), "--json", str(json_path),
                 "--junit", str(junit_path), "--profile", "ci", cwd=checkout)
    assert out.returncode == 1
    data = json.loads(json_path.read_text())
    assert data["schema"] == 1 and data["profile"] == "ci"
    (challenge,) = data["challenges"]
    assert {"id", "status", "duration_s", "tests"} <= set(challenge)
    assert challenge["status"] == "failed"
    assert all({"name", "status", "message"} <= set(t) for t in challenge["tests"])
    suite = ElementTree.parse(junit_path).getroot().find("testsuite")
    assert suite.get("name") == "box_iou" and int(suite.get("failures")) >= 1


def test_exitfirst_stops_at_the_first_failing_property_and_says_so(checkout, tmp_path):
    json_path = tmp_path / "r.json"
    out = grader("check", "box_iou", "-x", "--solution", str(box_iou_mutant("no_clamp")), "--json", str(json_path),
                 "--seed", "3", cwd=checkout)
    assert out.returncode == 1, out.stdout + out.stderr
    (challenge,) = json.loads(json_path.read_text())["challenges"]
    statuses = [t["status"] for t in challenge["tests"]]
    assert challenge["status"] == "failed" and statuses[-1] == "failed" and set(statuses[:-1]) <= {"passed"}
    assert "stopped at the first failing property (--exitfirst)" in challenge["message"] in out.stdout
    assert "more not run" in challenge["message"]
    refused = grader("check", "box_iou", "-x", "--ci", "--results-dir", str(tmp_path / "ci"), cwd=checkout)
    assert refused.returncode == 2 and "drop --exitfirst" in refused.stdout + refused.stderr


def test_a_lone_surrogate_in_a_candidates_message_is_reported_not_a_grader_crash(checkout, tmp_path):
    """JSON carries "\\ud800" into the judge; no terminal or results file can encode it. It once
    crashed the report after grading, which lost every verdict of the run (a correct challenge's
    points included) and read as the grader's fault."""
    solution = tmp_path / "surrogate.py"
    solution.write_text('def box_iou(boxes1, boxes2):\n    raise ValueError("lone \\ud800 surrogate")\n')
    results = tmp_path / "results"
    out = grader("check", "box_iou", "--solution", str(solution), "--ci", "--results-dir", str(results), cwd=checkout)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and "lone \\ud800 surrogate" in out.stdout
    (challenge,) = json.loads((results / "cv-grader.json").read_text())["challenges"]
    assert challenge["status"] == "failed" and any("lone \\ud800 surrogate" in t["message"] for t in challenge["tests"])
    assert json.loads((results / "results.json").read_text())["score"] == 0
    ElementTree.parse(results / "junit.xml")


def test_usage_errors_exit_2(checkout, tmp_path):
    assert grader("check", "no_such_challenge", cwd=checkout).returncode == 2
    assert grader("check", "box_iou", "--solution", str(tmp_path / "missing.py"), cwd=checkout).returncode == 2
    assert grader("check", "--profile", "sloppy", cwd=checkout).returncode == 2


def test_outside_a_checkout_says_how(tmp_path):
    out = grader("list", cwd=tmp_path)
    assert out.returncode == 2
    assert "CV_GRADER_ROOT" in out.stdout and "Traceback" not in out.stderr


def test_root_from_environment(checkout, tmp_path):
    out = grader("list", cwd=tmp_path, env_root=checkout)
    assert out.returncode == 0 and "box_iou" in out.stdout


def test_show_and_hints(checkout):
    shown = grader("show", "box_iou", cwd=checkout)
    assert shown.returncode == 0 and "Worked example" in shown.stdout
    first = grader("hint", "box_iou", cwd=checkout)
    second = grader("hint", "box_iou", cwd=checkout)
    assert "Hint 1/3" in first.stdout and "Hint 2/3" not in first.stdout
    assert "Hint 2/3" in second.stdout
    assert "Hint 3/3" in grader("hint", "box_iou", "--level", "3", cwd=checkout).stdout
    assert grader("hint", "box_iou", "--level", "9", cwd=checkout).returncode == 2


def test_a_grader_folder_committed_as_a_link_is_replaced_not_written_through(tmp_path):
    """A fork can commit .grader/ as a link: the hint record, verdicts and results must not land
    wherever it points."""
    tree = tmp_path / "tree"
    for name in ("challenges", "grader", "reference", "tests"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.so", "solution.*", "*.bak*"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (tree / ".grader").symlink_to(outside, target_is_directory=True)
    assert "Hint 1/3" in grader("hint", "box_iou", cwd=tree).stdout
    assert list(outside.iterdir()) == [] and not (tree / ".grader").is_symlink()
    assert (tree / ".grader" / "hints" / "box_iou").read_text() == "1"


def test_reset_restores_stub_and_keeps_backup(checkout):
    solution = checkout / "challenges" / "box_iou" / "solution.py"
    solution.write_text("# my work in progress\n")
    out = grader("reset", "box_iou", cwd=checkout)
    assert out.returncode == 0
    assert solution.read_text() == (checkout / "challenges" / "box_iou" / "stub.py").read_text()
    backups = list(solution.parent.glob("solution.*.bak.py"))
    assert backups and backups[0].read_text() == "# my work in progress\n"


def test_list_remembers_last_verdict(checkout):
    solution = checkout / "challenges" / "box_iou" / "solution.py"
    shutil.copyfile(ROOT / "reference" / "ops" / "box_iou.py", solution)
    assert grader("check", "box_iou", cwd=checkout).returncode == 0
    listed = grader("list", cwd=checkout).stdout
    assert "passed" in listed
    solution.write_text(solution.read_text() + "\n# edited\n")
    assert "edited, not checked" in grader("list", cwd=checkout).stdout


def test_bench_prints_table_and_plot(checkout, tmp_path):
    plot = tmp_path / "scaling.png"
    out = grader("bench", "box_iou_numba", "--solution", str(ROOT / "reference" / "examples" / "box_iou_numba.py"),
                 "--size", "100", "--size", "300", "--plot", str(plot), cwd=checkout, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ratio" in out.stdout and "300" in out.stdout
    assert plot.stat().st_size > 1000


def test_parallel_check_keeps_catalog_order(checkout, tmp_path):
    folder = tmp_path / "solutions"
    folder.mkdir()
    shutil.copyfile(ROOT / "reference" / "ops" / "box_iou.py", folder / "box_iou.py")
    shutil.copyfile(box_iou_mutant("no_clamp"), folder / "box_iou_numba.py")  # uses torch, which the Numba track forbids
    out = grader("check", "box_iou_numba", "box_iou", "anchors", "--solution", str(folder), "--jobs", "2",
                 "--json", str(tmp_path / "r.json"), cwd=checkout)
    assert out.returncode == 2  # anchors has no file in the folder: a usage error before anything runs
    shutil.copyfile(checkout / "challenges" / "anchors" / "stub.py", folder / "anchors.py")
    out = grader("check", "box_iou_numba", "box_iou", "anchors", "--solution", str(folder), "--jobs", "2",
                 "--json", str(tmp_path / "r.json"), cwd=checkout)
    results = json.loads((tmp_path / "r.json").read_text())["challenges"]
    assert [(c["id"], c["status"]) for c in results] == [("box_iou", "passed"), ("box_iou_numba", "forbidden"),
                                                         ("anchors", "not_started")]
    assert out.returncode == 1


def test_usage_mistakes_are_usage_errors_that_say_what_was_meant(checkout):
    typo = grader("check", "box_iuo", cwd=checkout)
    assert typo.returncode == 2 and "Did you mean box_iou?" in typo.stdout, typo.stdout
    only = grader("check", "box_iou", "--only", "no_such_property", cwd=checkout)
    assert only.returncode == 2 and "box_iou has no property named no_such_property" in only.stdout, only.stdout
    assert "matches_reference" in only.stdout, "the message lists the properties there are"
    jobs = grader("check", "box_iou", "--jobs", "0", cwd=checkout)
    assert jobs.returncode == 2 and "--jobs must be at least 1" in jobs.stdout
    bench = grader("bench", "box_iou", cwd=checkout)
    assert bench.returncode == 2 and "has no [speed] sizes" in bench.stdout, bench.stdout


def test_untouched_stubs_read_not_started_without_compiling_anything(checkout):
    ids = ("box_iou_cpp", "box_iou_cuda", "nms_numba", "clip_loss_cuda", "nms")
    for challenge_id in ids:
        for own in (checkout / "challenges" / challenge_id).glob("solution.*"):
            own.unlink()
    out = grader("check", *ids, cwd=checkout, timeout=60)
    assert out.returncode == 1, out.stdout
    assert out.stdout.count("not started") == len(ids) and out.stdout.count("still the stub") == len(ids), out.stdout
    assert "compiled" not in out.stdout.replace("nothing was run or compiled", ""), out.stdout
    bench = grader("bench", "nms_numba", cwd=checkout, timeout=60)
    assert bench.returncode == 1 and "still the stub, so there is nothing to time" in bench.stdout, bench.stdout


def test_the_last_hint_says_there_are_no_more(checkout):
    count = len(__import__("tomllib").loads((checkout / "challenges" / "focal_loss" / "challenge.toml").read_text())["hints"])
    shown = [grader("hint", "focal_loss", cwd=checkout).stdout for _ in range(count + 1)]
    assert all("No more hints" not in text for text in shown[:-1])
    assert f"No more hints: that was the last of {count}" in shown[-1]


def test_a_folder_of_solutions_with_no_ids_grades_the_challenges_it_has(checkout, tmp_path):
    folder = tmp_path / "solutions"
    (folder / "box_iou").mkdir(parents=True)
    shutil.copyfile(ROOT / "reference" / "ops" / "box_iou.py", folder / "box_iou" / "solution.py")
    out = grader("check", "--solution", str(folder), "--profile", "quick", cwd=checkout, timeout=300)
    assert out.returncode == 0 and "grading the 1 challenges it has a file for" in out.stdout, out.stdout
    assert "box_iou (python)" in out.stdout and "nms (python)" not in out.stdout


def test_grader_alone_shows_progress_and_the_next_exercise(tmp_path):
    shutil.copytree(ROOT / "challenges", tmp_path / "challenges", ignore=shutil.ignore_patterns("solution.*", "*.bak*"))
    out = grader(cwd=tmp_path, env_root=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    runnable = [line for line in out.stdout.splitlines() if " solved" in line and "of" in line][0]
    assert "0 of" in runnable, out.stdout
    assert "by area" in out.stdout and "by track" in out.stdout and "detection" in out.stdout
    assert "Next: box_iou" in out.stdout, out.stdout


def _interview_checkout(tmp_path) -> Path:
    shutil.copytree(ROOT / "challenges", tmp_path / "challenges", ignore=shutil.ignore_patterns("solution.*", "*.bak*"))
    (tmp_path / "reference").symlink_to(ROOT / "reference")
    return tmp_path


def test_an_interview_ends_by_itself_with_a_debrief_and_hides_hints_meanwhile(tmp_path):
    root = _interview_checkout(tmp_path)
    started = subprocess.Popen([sys.executable, "-m", "grader", "interview", "box_iou", "--minutes", "0.15"],
                               cwd=root, env={**os.environ, "CV_GRADER_ROOT": str(root), "COLUMNS": "200"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(3)
        hint = grader("hint", "box_iou", cwd=root, env_root=root)
        assert hint.returncode == 2 and "no hints during an interview (box_iou" in hint.stdout, hint.stdout
        out, _ = started.communicate(timeout=60)
    finally:
        started.kill()
    assert started.returncode == 0, out
    assert "Debrief: box_iou" in out and "Not passed in 0:09; 0 check(s)." in out, out
    assert "Follow-up questions" in out and "GIoU" in out, "the statement's follow-ups are in the debrief"
    assert "Kernel follow-up:" in out and "box_iou_cpp (cpp)" in out
    assert "What interviewers probe" not in out, "the probe section is the interviewer's, not shown up front"
    after = grader(cwd=root, env_root=root)
    assert "interviews" in after.stdout and "not passed in 0:09" in after.stdout, after.stdout
    assert grader("hint", "box_iou", cwd=root, env_root=root).returncode == 0, "hints are back once it ended"
    reveal = grader("interview", "--reveal", cwd=root, env_root=root)
    assert reveal.returncode == 0 and "def box_iou" in reveal.stdout, reveal.stdout


def test_reveal_needs_an_interview_first(tmp_path):
    root = _interview_checkout(tmp_path)
    out = grader("interview", "--reveal", "nms", cwd=root, env_root=root)
    assert out.returncode == 2 and "after an interview" in out.stdout


def test_an_interview_ends_at_the_first_passing_save(tmp_path):
    root = _interview_checkout(tmp_path)
    started = subprocess.Popen([sys.executable, "-m", "grader", "interview", "box_iou", "--minutes", "2"],
                               cwd=root, env={**os.environ, "CV_GRADER_ROOT": str(root), "COLUMNS": "200"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        solution = root / "challenges" / "box_iou" / "solution.py"
        deadline = time.monotonic() + 30
        while not solution.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        solution.write_text((ROOT / "reference" / "ops" / "box_iou.py").read_text())
        out, _ = started.communicate(timeout=100)
    finally:
        started.kill()
    assert started.returncode == 0 and "Passed after 0:" in out and "in 1 check(s)" in out, out
