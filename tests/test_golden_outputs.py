"""The machine-readable results, pinned: JSON, JUnit XML and Gradescope's results.json for one
fixed run (a pass with its speed measurement, a failure with its input and replay, a memory
failure, a grader bug). Tools parse these files; a change to them must be deliberate, so it shows
up here as a diff of tests/golden/. Regenerate with CVG_UPDATE_GOLDEN=1 after an intended change."""

import json
import os
from pathlib import Path

import pytest

from grader.exports import write_gradescope
from grader import __version__, results
from grader.results import ChallengeResult, Measurement, RunResult

GOLDEN = Path(__file__).resolve().parent / "golden"
REPLAY = "grader check nms --only strict_threshold --profile ci --seed 7 --solution challenges/nms/solution.py"


def _run() -> RunResult:
    speed = Measurement("speed", 3.25, 20.0, True, "the reference's time",
                        {"size": 2000, "candidate_s": 0.0065, "reference_s": 0.002, "clock": "cpu", "attempts": [3.25]})
    memory = Measurement("memory", 0.43, 0.5, False, "the naive loss's extra peak memory",
                         {"size": 4096, "growth_bytes": 261_000_000, "growth_allowed_bytes": 25_165_824})
    challenges = [
        ChallengeResult("box_iou_numba", "passed", 4.5, title="Pairwise IoU in Numba", track="numba", points=20,
                        tests=[results.TestResult("matches_reference", "passed", duration_s=1.25),
                               results.TestResult("speed", "passed", "3.25× the reference's time", duration_s=2.5)],
                        measurements=[speed]),
        ChallengeResult("nms", "failed", 2.0, title="Non-maximum suppression", track="python", points=10,
                        tests=[results.TestResult("strict_threshold", "failed", "kept indices: expected [0, 1], got [0]",
                                          example=["call: nms(boxes=torch.tensor([[0, 0, 2, 2], [1, 0, 3, 2]]), "
                                                   "scores=torch.tensor([0.9, 0.8]), iou_threshold=0.5)"],
                                          duration_s=0.5)],
                        replay={"strict_threshold": REPLAY}),
        ChallengeResult("clip_loss_chunked", "failed", 30.0, title="CLIP's loss at scale", track="python", points=20,
                        tests=[results.TestResult("memory", "failed", "the peak grew by 249 MB (at most 24 MB)", duration_s=20.0)],
                        measurements=[memory]),
        ChallengeResult("iou_variants", "internal", 1.0, track="python", points=10,
                        message="the grader itself failed, not your code: RuntimeError: a typo at "
                                "grader/suites/iou_variants.py:3. Please report it with this message"),
    ]
    return RunResult(challenges, profile="ci", seed=7, notes=["graded on Linux"],
                     versions={"hypothesis": "6.155.2", "torch": "2.13.0"})


def _written(tmp_path: Path) -> dict[str, str]:
    run = _run()
    run.write_json(tmp_path / "results.json")
    run.write_junit(tmp_path / "junit.xml")
    write_gradescope(run, tmp_path / "gradescope.json", execution_time=41.6)
    data = json.loads((tmp_path / "results.json").read_text())
    data["grader_version"] = "<version>"
    data["hardware"] = "<this machine>"
    data["graded_at"] = "<when>"
    gradescope = json.loads((tmp_path / "gradescope.json").read_text())
    gradescope["extra_data"].update(grader_version="<version>", graded_at="<when>")
    gradescope["output"] = gradescope["output"].replace(f"cv-grader {__version__}", "cv-grader <version>")
    return {"results.json": json.dumps(data, indent=2) + "\n", "junit.xml": (tmp_path / "junit.xml").read_text(),
            "gradescope.json": json.dumps(gradescope, indent=2) + "\n"}


@pytest.mark.parametrize("name", ["results.json", "junit.xml", "gradescope.json"])
def test_output_matches_its_golden_file(tmp_path, name):
    text = _written(tmp_path)[name]
    golden = GOLDEN / name
    if os.environ.get("CVG_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert golden.is_file(), f"{golden} is missing: run with CVG_UPDATE_GOLDEN=1 to write it"
    assert text == golden.read_text(), f"{name} changed; if that is intended, regenerate with CVG_UPDATE_GOLDEN=1"


def test_every_format_carries_the_measurements_and_the_replay(tmp_path):
    written = _written(tmp_path)
    measurements = json.loads(written["results.json"])["challenges"][0]["measurements"]
    assert measurements[0]["name"] == "speed" and measurements[0]["ratio"] == 3.25 and measurements[0]["threshold"] == 20.0
    assert '<property name="speed.ratio" value="3.25" />' in written["junit.xml"]
    assert '<property name="memory.passed" value="False" />' in written["junit.xml"]
    assert f"replay: {REPLAY}" in written["junit.xml"]
    gradescope = json.loads(written["gradescope.json"])
    assert "speed: 3.25× the reference's time (at most 20×, passed)" in gradescope["tests"][0]["output"]
    nms, clip = (next(t for t in gradescope["tests"] if t["name"].startswith(name)) for name in ("nms —", "clip_loss_chunked —"))
    assert f"replay: {REPLAY}" in nms["output"]
    assert "(at most 0.5×, failed)" in clip["output"]
    assert gradescope["extra_data"]["seed"] == 7 and gradescope["execution_time"] == 42
    assert "not your code" in gradescope["tests"][-1]["output"]
