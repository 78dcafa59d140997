"""The grader checks itself: for every challenge, the parts are present, the stub reads "not
started", the example solution passes, and every known-wrong solution is rejected by the property
it names. New challenges are picked up from the catalog without editing this file."""

from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader.validation import check_example, check_mutant, check_parts, check_stub, mutants

ROOT = Path(__file__).resolve().parents[1]
CATALOG = load_catalog(ROOT)


def _ids(challenge):
    return challenge.id


@pytest.mark.parametrize("challenge", CATALOG, ids=_ids)
def test_parts_present(challenge):
    missing = [f"{f.check} ({f.detail})" for f in check_parts(ROOT, challenge) if not f.ok]
    assert not missing, missing


@pytest.mark.parametrize("challenge", CATALOG, ids=_ids)
def test_stub_reads_not_started(challenge):
    finding = check_stub(ROOT, challenge)
    assert finding.ok, finding.detail
    if finding.skipped:
        pytest.skip(f"{finding.skipped} (the stub built without errors)")


@pytest.mark.parametrize("challenge", CATALOG, ids=_ids)
def test_example_passes(challenge):
    finding = check_example(ROOT, challenge)
    assert finding.ok, finding.detail
    if finding.skipped:
        pytest.skip(f"{finding.skipped} (the example built without errors)")


@pytest.mark.parametrize(
    "challenge, mutant",
    [(c, m) for c in CATALOG for m in mutants(ROOT, c)],
    ids=lambda v: v.id if hasattr(v, "id") else v.stem,
)
def test_known_wrong_solution_rejected(challenge, mutant):
    finding = check_mutant(ROOT, challenge, mutant)
    assert finding.ok, finding.detail
    if finding.skipped:
        pytest.skip(finding.skipped)
