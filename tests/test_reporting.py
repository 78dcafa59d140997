"""What a failing run shows: one contract defect is reported once with the properties it also
breaks, the next distinct mistake still shows, and inputs and replays are never wrapped."""

from xml.etree import ElementTree

from rich.console import Console

from grader.reporting import print_challenge
from grader import results
from grader.results import ChallengeResult, RunResult

SAME = "call: nms(boxes=torch.zeros((0, 4), dtype=torch.float32), scores=torch.zeros((0,), dtype=torch.float32), iou_threshold=0.5)"
REPLAY = "grader check nms --only strict_threshold --seed 123456789 --profile quick --solution challenges/nms/solution.py"


def _result() -> ChallengeResult:
    tests = [
        results.TestResult("output_contract", "failed", "expected shape (0,), got ()", example=[SAME]),
        results.TestResult("matches_reference", "failed", "expected shape (0,), got ()", example=[SAME]),
        results.TestResult("strict_threshold", "failed", "kept indices: expected [0, 1], got [0]", example=["call: nms(...)"]),
        results.TestResult("empty_input", "failed", "expected shape (0,), got ()", example=[SAME]),
        results.TestResult("worked_example", "passed"),
    ]
    return ChallengeResult("nms", "failed", tests=tests, track="python",
                           replay={t.name: REPLAY for t in tests if t.status == "failed"})


def _shown(result: ChallengeResult) -> str:
    console = Console(record=True, width=60, color_system=None)
    print_challenge(console, result)
    return console.export_text()


def test_failures_on_the_same_call_are_reported_once_and_the_next_distinct_one_still_shows():
    text = _shown(_result())
    assert "✘ output_contract" in text and "✘ strict_threshold" in text
    assert "✘ matches_reference" not in text and "✘ empty_input" not in text
    assert "fix this first: 2 other properties fail on the same call (matches_reference, empty_input)" in " ".join(text.split())
    assert "more failing properties" not in text


def test_inputs_and_replays_are_not_wrapped_in_a_narrow_terminal():
    text = _shown(_result())
    assert any(line.strip() == SAME for line in text.splitlines())
    assert any(line.strip() == f"replay: {REPLAY}" for line in text.splitlines())


def test_junit_carries_the_replay(tmp_path):
    run = RunResult([_result()], profile="quick", seed=123456789)
    path = tmp_path / "junit.xml"
    run.write_junit(path)
    failures = ElementTree.parse(path).getroot().iter("failure")
    assert all(f"replay: {REPLAY}" in failure.text for failure in failures)
