"""The grader checks itself: for every challenge, the parts are present, the stub reads "not
started", the example solution passes, and every known-wrong solution is rejected by the property
it names. New challenges are picked up from the catalog without editing this file."""

import re
from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader import mutants
from grader import validation
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


def test_a_dotted_suite_name_is_refused_by_the_catalog(tmp_path):
    """Dotted names load modules from the project root (the tests' broken suites); a challenge must
    not be able to point its grading at an arbitrary module."""
    from grader.catalog import CatalogError, load_challenge

    folder = _copy_of(tmp_path, "box_iou", edit_toml=lambda t: t.replace('suite = "box_iou"', 'suite = "tests.x"'))
    with pytest.raises(CatalogError, match="suite"):
        load_challenge(folder)


# --- declared mutants: a change that no longer fits the example is an error naming the mutant -------


def _with_mutants(tmp_path: Path, declarations: str, files: dict[str, str] | None = None):
    from grader.catalog import load_challenge

    folder = _copy_of(tmp_path, "box_iou")
    (folder / "mutants.toml").write_text(declarations)
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text)
    return load_challenge(folder)


ENTRY = '[[mutant]]\nname = "{name}"\nbreaks = "matches_reference"\nwhy = "w"\n{body}\n'


@pytest.mark.parametrize("body, message", [
    ('replace = [["no such line", "x"]]', "change 1: 'no such line' is found 0 times"),
    ('replace = [["torch", "x"]]', "change 1: 'torch' is found"),
    ('replace = [["inter = ", "x = "], ["inter = ", "y = "]]', "change 2: 'inter = ' is found 0 times"),
])
def test_a_mutant_change_that_does_not_apply_exactly_once_fails_validation_naming_it(tmp_path, body, message):
    challenge = _with_mutants(tmp_path, ENTRY.format(name="drifted", body=body))
    finding = check_mutant(ROOT, challenge, mutants.load(challenge)[0])
    assert not finding.ok and "mutant 'drifted'" in finding.detail and message in finding.detail, finding.detail


@pytest.mark.parametrize("declarations, message", [
    (ENTRY.format(name="a", body='replace = [["x", "y"]]\nfile = "mutants/a.py"'), "exactly one of 'replace'"),
    (ENTRY.format(name="a", body='replace = [["x", "y"]]') * 2, "name 'a' must be an identifier used once"),
    (ENTRY.format(name="a", body='replace = [["x", "y"]]\nbreak = "typo"'), "unknown key(s) break"),
    (ENTRY.format(name="a", body='file = "mutants/missing.py"'), "does not exist"),
    (ENTRY.format(name="a", body="replace = []"), "non-empty list of [old, new]"),
    ('[[mutant]]\nname = "a"\nwhy = "w"\nreplace = [["x", "y"]]\n', "'breaks' must be a non-empty string"),
    ("[[mutant]\n", "is not valid TOML"),
])
def test_a_malformed_mutant_declaration_fails_the_parts_check_with_its_reason(tmp_path, declarations, message):
    challenge = _with_mutants(tmp_path, declarations)
    findings = [f for f in check_parts(ROOT, challenge) if not f.ok]
    assert len(findings) == 1 and message in findings[0].detail, findings


def test_a_mutant_file_no_declaration_names_fails_validation(tmp_path):
    declared = "".join(ENTRY.format(name=f"m{i}", body='replace = [["- inter\\n", "\\n"]]') for i in range(4))
    challenge = _with_mutants(tmp_path, declared, files={"mutants/forgotten.py": "x = 1\n"})
    findings = [f for f in check_parts(ROOT, challenge) if not f.ok]
    assert [f.check for f in findings] == ["every mutant file is declared"] and "forgotten.py" in findings[0].detail


def test_mutants_are_not_counted_as_rejected_when_the_example_fails_too(monkeypatch):
    # Seen on a GPU whose boxes could not start CUDA: every mutant "failed its property".
    box_iou = next(c for c in CATALOG if c.id == "box_iou")
    failing = validation.Finding(box_iou.id, "example solution passes", False, "failed matches_reference: ...")
    monkeypatch.setattr(validation, "check_example", lambda root, challenge: failing)
    monkeypatch.setattr(validation, "check_mutant", lambda *args: pytest.fail("a mutant was graded"))
    findings = validation.validate(ROOT, box_iou)
    rejections = [f for f in findings if f.check.startswith("rejects ")]
    assert len(rejections) == len(mutants.load(box_iou)) >= 4
    assert all(f.skipped == validation.EXAMPLE_FAILS for f in rejections)
    assert not all(f.ok for f in findings)  # the example's own failure still fails validation
