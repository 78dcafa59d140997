"""Verdicts on real-world code the statements allow or forbid (issue: right verdicts on real code).

Each fixture is a solution written the way a public library writes it. The correct ones must pass
the property that once failed them, on every seed; the wrong ones must fail the property that names
their mistake, on every seed, not only when the search is lucky."""

from pathlib import Path

import pytest

from grader import mutants
from grader.catalog import load_catalog
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "verdicts"
CHALLENGES = {c.id: c for c in load_catalog(ROOT)}
SEEDS = range(4)

CASES = [
    # (fixture, challenge, property, verdict)
    ("roi_align_empty_rois_detached.py", "roi_align", "gradient_matches", "passed"),
    ("box_iou_epsilon_in_union.py", "box_iou", "self_iou_is_one_below_a_pixel", "failed"),
    ("box_iou_clamped_union.py", "box_iou", "self_iou_is_one_below_a_pixel", "failed"),
    ("batched_nms_offset_trick.py", "batched_nms", "categories_never_suppress_each_other", "failed"),
]


@pytest.mark.parametrize("fixture, challenge, prop, verdict", CASES, ids=[c[0].removesuffix(".py") for c in CASES])
@pytest.mark.parametrize("seed", SEEDS)
def test_real_world_solution_gets_the_right_verdict_on_every_seed(fixture, challenge, prop, verdict, seed):
    result = grade_challenge(CHALLENGES[challenge], ROOT, FIXTURES / fixture, profile="quick", seed=seed, only=[prop])
    tested = {t.name: t for t in result.tests}
    assert prop in tested, f"{prop} did not run: {result.status} {result.message}"
    assert tested[prop].status == verdict, tested[prop].message


def test_a_wrong_answer_slow_to_shrink_ends_failed_with_its_input_not_as_a_timeout():
    """Shrinking 65-150-box inputs of a wrong NMS takes longer than a time limit allows; the run
    must stop shrinking in time and report the smallest failing input found so far."""
    prop = "many_boxes_match_reference"
    result = grade_challenge(CHALLENGES["nms"], ROOT, FIXTURES / "nms_drop_if_any_higher_overlaps.py",
                             profile="quick", seed=0, only=[prop], time_limit_s=20)
    tested = {t.name: t for t in result.tests}
    assert result.status == "failed", f"{result.status}: {result.message}"
    assert tested[prop].status == "failed" and any("nms(" in line for line in tested[prop].example), tested[prop]


def test_the_memory_rule_tells_tiles_from_blocks_of_rows_that_pass_the_ratio():
    """The statement forbids blocks of chunk_size rows × all columns; at N = 4096 they pass the 0.5×
    ratio, so only the growth with N separates them from tiles. A tiled solution that spends memory
    freely (the hints' way) must pass both steps."""
    challenge = CHALLENGES["clip_loss_chunked"]
    tiles = grade_challenge(challenge, ROOT, ROOT / "tests/solutions/clip_loss_chunked/follows_the_hints.py",
                            profile="quick", seed=0, only=["memory"])
    assert tiles.status == "passed", tiles.failures or tiles.message
    growth = tiles.measurement("memory").figures
    assert growth["growth_bytes"] * 2 <= growth["growth_allowed_bytes"], growth
    rows = grade_challenge(challenge, ROOT, mutants.file_for(ROOT, challenge, "row_blocks"),
                           profile="quick", seed=0, only=["memory"])
    assert rows.status == "failed", rows.message
    memory = rows.measurement("memory")
    assert memory.ratio <= memory.threshold, f"row blocks now fail the ratio alone: {memory}"
    assert memory.figures["growth_bytes"] >= 4 * memory.figures["growth_allowed_bytes"], memory
    assert "Blocks of chunk_size rows" in rows.failures[0].message
