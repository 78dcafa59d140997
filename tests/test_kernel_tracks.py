"""Each CPU kernel challenge is passable by a clean, unoptimized solution: the textbook solution in
tests/solutions/<id>/ passes every property AND the speed threshold on this machine. A threshold
only the tuned example meets would grade candidates on tricks, not on the kernel."""

from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]
BY_ID = {c.id: c for c in load_catalog(ROOT)}
TEXTBOOKS = sorted(ROOT.glob("tests/solutions/*/textbook.*"))
SEED = 20261201


@pytest.mark.parametrize("path", TEXTBOOKS, ids=lambda p: p.parent.name)
def test_textbook_solution_passes_including_speed(path):
    challenge = BY_ID[path.parent.name]
    assert challenge.extra.get("speed", {}).get("graded"), f"{challenge.id} has no graded [speed] section"
    result = grade_challenge(challenge, ROOT, path, profile="quick", seed=SEED)
    failing = "; ".join(f"{t.name}: {t.message}" for t in result.failures)
    assert result.status == "passed", f"{result.status} {result.message} {failing}"
    speed = [t for t in result.tests if t.name == "speed"]
    assert speed and speed[0].status == "passed", speed[0].message if speed else "no speed test ran"
