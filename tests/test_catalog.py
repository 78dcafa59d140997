"""The grader checks itself: for every challenge, the parts are present, the stub reads "not
started", the example solution passes, and every known-wrong solution is rejected by the property
it names. New challenges are picked up from the catalog without editing this file."""

import re
from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader import mutants
from grader.validation import check_example, check_mutant, check_parts, check_stub

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
    [(c, m) for c in CATALOG for m in mutants.load(c)],
    ids=lambda v: v.id if hasattr(v, "id") else v.name,
)
def test_known_wrong_solution_rejected(challenge, mutant):
    finding = check_mutant(ROOT, challenge, mutant)
    assert finding.ok, finding.detail
    if finding.skipped:
        pytest.skip(finding.skipped)


# --- what an author gets wrong is said, not ignored -------------------------------------------------


def _copy_of(tmp_path: Path, challenge_id: str, edit_toml=None, edit_statement=None) -> Path:
    folder = tmp_path / challenge_id
    folder.mkdir()
    for name in ("challenge.toml", "README.md", "stub.py"):
        (folder / name).write_text((ROOT / "challenges" / challenge_id / name).read_text())
    if edit_toml:
        (folder / "challenge.toml").write_text(edit_toml((folder / "challenge.toml").read_text()))
    if edit_statement:
        (folder / "README.md").write_text(edit_statement((folder / "README.md").read_text()))
    return folder


@pytest.mark.parametrize("edit, named", [
    (lambda t: t.replace("time_limit_s = ", "time_limit = "), "unknown key(s) time_limit"),
    (lambda t: t.replace("threshold = 0.5", "treshold = 0.5"), "unknown key(s) treshold in [memory]"),
])
def test_a_typo_in_challenge_toml_is_an_error_naming_the_key(tmp_path, edit, named):
    from grader.catalog import CatalogError, load_challenge

    folder = _copy_of(tmp_path, "clip_loss_chunked", edit_toml=edit)
    with pytest.raises(CatalogError, match=re.escape(named)):
        load_challenge(folder)


def test_a_statement_missing_its_follow_ups_fails_validation(tmp_path):
    from grader.catalog import load_challenge
    from grader.validation import check_statement

    folder = _copy_of(tmp_path, "box_iou", edit_statement=lambda t: t.replace("## Follow-up questions", "## Follow-ups"))
    finding = check_statement(load_challenge(folder))
    assert not finding.ok and "expected ## Follow-up questions after ## What interviewers probe" in finding.detail
