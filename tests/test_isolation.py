"""A candidate's broken solution is normal input: each way of breaking out gets a clear verdict
within its limit, and the grader goes on."""

import dataclasses
import time
from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "isolation"
BOX_IOU = next(c for c in load_catalog(ROOT) if c.id == "box_iou")
# A small memory limit keeps the runaway allocation fast; the verdict is the same at the real one.
CHALLENGE = dataclasses.replace(BOX_IOU, memory_limit_mb=1024)
# Hangs are cut at a short limit so the test is quick; everything else keeps the real limit, so a
# busy machine cannot turn a verdict into a timeout.
HANG_LIMIT_S = 4.0
HANGS = ("infinite_loop", "swallows_interrupt")


def grade(name: str):
    limit = HANG_LIMIT_S if name in HANGS else CHALLENGE.time_limit_s
    started = time.monotonic()
    result = grade_challenge(CHALLENGE, ROOT, FIXTURES / f"{name}.py", profile="quick", seed=1, time_limit_s=limit)
    return result, time.monotonic() - started, limit


@pytest.mark.parametrize(
    "name, status, words",
    [
        ("infinite_loop", "timeout", "limit"),
        ("swallows_interrupt", "timeout", "limit"),
        ("segfault", "crashed", "SIGSEGV"),
        ("os_exit", "crashed", "exited with status 0"),
        ("sys_exit", "error", "sys.exit(0)"),
        ("exit_on_import", "error", "sys.exit(0)"),
        ("unbounded_allocation", "error", "memory"),
        ("syntax_error", "error", "syntax_error.py:1"),
        ("missing_module", "error", "torchvision_but_misspelled"),
        ("wrong_signature", "error", "box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor)"),
        ("missing_function", "error", "no function box_iou"),
        ("imports_reference", "forbidden", "from reference.ops.box_iou import box_iou"),
        ("imports_library", "forbidden", "torchvision.ops.box_iou"),
    ],
)
def test_verdict(name, status, words):
    result, elapsed, limit = grade(name)
    assert result.status == status, (result.status, result.message, [t.message for t in result.tests])
    text = result.message + " ".join(t.message for t in result.tests)
    assert words in text, text
    assert elapsed < limit + 10


@pytest.mark.parametrize("name", ["prints_fake_pass", "writes_results"])
def test_cannot_fake_a_pass(name):
    result, _, _ = grade(name)
    assert result.status == "failed"
    assert any(t.name == "matches_reference" and t.status == "failed" for t in result.tests)


def test_grader_goes_on_after_a_crash():
    crashed, _, _ = grade("segfault")
    passed = grade_challenge(CHALLENGE, ROOT, ROOT / "reference" / "ops" / "box_iou.py", profile="quick", seed=1)
    assert crashed.status == "crashed" and passed.status == "passed"
