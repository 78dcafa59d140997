"""Properties of the Panoptic FPN merge heuristic (challenge panoptic_merge)."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_equal, expect_tensor
from reference.ops.panoptic_merge import panoptic_merge as reference_merge

suite = Suite("panoptic_merge")

# Scores are exact in float32, so "equal to the threshold" really is equal.
SCORES = [0.25, 0.5, 0.625, 0.75, 0.875, 1.0]
SEGMENT_KEYS = ("id", "category_id", "isthing", "area")


@st.composite
def merge_inputs(draw, max_instances=5):
    """Semantic map, instance masks/scores/labels and the three thresholds."""
    height, width = draw(st.integers(2, 8)), draw(st.integers(2, 8))
    count = draw(st.integers(0, max_instances))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    semantic = torch.randint(0, draw(st.integers(1, 4)), (height, width), generator=gen)
    if draw(st.booleans()):
        # Blocky stuff regions look more like real semantic maps than per-pixel noise.
        semantic = semantic[: (height + 1) // 2, : (width + 1) // 2].repeat_interleave(2, 0).repeat_interleave(2, 1)[:height, :width].contiguous()
    masks = []
    for _ in range(count):
        if draw(st.booleans()):
            top, left = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
            bottom, right = draw(st.integers(top, height)), draw(st.integers(left, width))
            mask = torch.zeros(height, width, dtype=torch.bool)
            mask[top:bottom, left:right] = True
        else:
            mask = torch.rand(height, width, generator=gen) < draw(st.sampled_from([0.0, 0.3, 0.6]))
        masks.append(mask)
    instance_masks = torch.stack(masks) if masks else torch.zeros(0, height, width, dtype=torch.bool)
    scores = torch.tensor([draw(st.sampled_from(SCORES)) for _ in range(count)], dtype=torch.float32)
    labels = torch.tensor([draw(st.integers(1, 9)) for _ in range(count)], dtype=torch.int64)
    options = dict(
        overlap_threshold=draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])),
        stuff_area_threshold=draw(st.integers(0, height * width // 2)),
        instance_score_threshold=draw(st.sampled_from([0.0, 0.5, 0.75])),
    )
    return (semantic, instance_masks, scores, labels), options


def _call(sol, args, **options):
    result = sol.panoptic_merge(*args, **options)
    expect(isinstance(result, tuple) and len(result) == 2,
           f"panoptic_merge must return a tuple (panoptic, segments), got {type(result).__name__}")
    return result


def _normalise(segments):
    """Each segment as a comparable tuple; extra keys are allowed and ignored."""
    out = []
    for seg in segments:
        score = seg.get("score")
        out.append((int(seg["id"]), int(seg["category_id"]), bool(seg["isthing"]), int(seg["area"]),
                    None if score is None or not seg["isthing"] else round(float(score), 6)))
    return out


def expect_same_result(actual, expected, what):
    panoptic, segments = actual
    expect_tensor(panoptic, what=f"{what}: panoptic", shape=tuple(expected[0].shape))
    expect_equal(panoptic.to(torch.int32), expected[0], what=f"{what}: panoptic map")
    expect_equal(_normalise(segments), _normalise(expected[1]),
                 what=f"{what}: segments as (id, category_id, isthing, area, score)")


@suite.property("returns (panoptic, segments): panoptic an int32 (H, W) tensor; segments a list of dicts with id, category_id, isthing, area, and score for things")
@given(inputs=merge_inputs())
def output_contract(sol, inputs):
    args, options = inputs
    panoptic, segments = _call(sol, args, **options)
    expect_tensor(panoptic, what="panoptic", dtype=torch.int32, shape=tuple(args[0].shape))
    expect(isinstance(segments, list), f"segments must be a list, got {type(segments).__name__}")
    for seg in segments:
        expect(isinstance(seg, dict), f"each segment must be a dict, got {type(seg).__name__}")
        missing = [k for k in SEGMENT_KEYS if k not in seg]
        expect(not missing, f"segment {seg} lacks the keys {missing}")
        expect(not seg["isthing"] or "score" in seg, f"thing segment {seg} lacks its score")


@suite.property("panoptic map and segments equal the reference (detectron2's combine_semantic_and_instance_outputs)")
@given(inputs=merge_inputs())
def matches_reference(sol, inputs):
    args, options = inputs
    expect_same_result(_call(sol, args, **options), reference_merge(*args, **options), what="merge")


@suite.property("worked example from the statement (4×4 map, three instances, stuff threshold 3 and then 5)")
@given(stuff_area_threshold=st.sampled_from([3, 5]))
def worked_example(sol, stuff_area_threshold):
    semantic = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0], [2, 2, 2, 0], [2, 2, 2, 0]])
    masks = torch.zeros(3, 4, 4, dtype=torch.bool)
    masks[0, 1:3, 2:4] = True
    masks[1, 0:2, 2:4] = True
    masks[2, 3, :] = True
    scores = torch.tensor([0.6, 0.9, 0.4])
    labels = torch.tensor([3, 5, 3])
    panoptic, segments = _call(sol, (semantic, masks, scores, labels), overlap_threshold=0.5,
                               stuff_area_threshold=stuff_area_threshold, instance_score_threshold=0.5)
    things = [(1, 5, True, 4, 0.9), (2, 3, True, 2, 0.6)]
    if stuff_area_threshold == 3:
        expected_map = [[3, 3, 1, 1], [3, 3, 1, 1], [4, 4, 2, 2], [4, 4, 4, 0]]
        expected_segments = things + [(3, 1, False, 4, None), (4, 2, False, 5, None)]
    else:
        expected_map = [[0, 0, 1, 1], [0, 0, 1, 1], [3, 3, 2, 2], [3, 3, 3, 0]]
        expected_segments = things + [(3, 2, False, 5, None)]
    expect_tensor(panoptic, what="panoptic", dtype=torch.int32, shape=(4, 4))
    expect_equal(panoptic, torch.tensor(expected_map, dtype=torch.int32), what=f"panoptic map (stuff threshold {stuff_area_threshold})")
    got = [(a, b, c, d, None if e is None else round(e, 3)) for a, b, c, d, e in _normalise(segments)]
    expect_equal(got, expected_segments, what="segments as (id, category_id, isthing, area, score)")


@suite.property("segments describe the map: ids are 1, 2, ... in list order, each area is the pixel count of its id, and every non-zero pixel has a segment")
@given(inputs=merge_inputs())
def segments_describe_the_map(sol, inputs):
    args, options = inputs
    panoptic, segments = _call(sol, args, **options)
    ids = [int(s["id"]) for s in segments]
    expect(ids == list(range(1, len(ids) + 1)), f"segment ids must be 1..{len(ids)} in order, got {ids}")
    for seg in segments:
        count = int((panoptic == int(seg["id"])).sum())
        expect(int(seg["area"]) == count, f"segment {seg['id']} says area {seg['area']} but the map has {count} pixels with that id")
    present = sorted(set(panoptic.flatten().tolist()) - {0})
    expect(set(present) <= set(ids), f"the map uses ids {present} but the segments list only {ids}")


@suite.property("the score threshold is inclusive: an instance scoring exactly the threshold is kept, one below it is dropped")
@given(threshold=st.sampled_from([0.25, 0.5, 0.75]), below=st.booleans(), side=st.integers(1, 4))
def score_threshold_is_inclusive(sol, threshold, below, side):
    score = threshold - 0.125 if below else threshold
    context(score=score, threshold=threshold)
    semantic = torch.zeros(side + 1, side + 1, dtype=torch.int64)
    masks = torch.zeros(1, side + 1, side + 1, dtype=torch.bool)
    masks[0, :side, :side] = True
    _, segments = _call(sol, (semantic, masks, torch.tensor([score]), torch.tensor([4])),
                        stuff_area_threshold=1, instance_score_threshold=threshold)
    expect_equal(len(segments), 0 if below else 1, what=f"number of segments for one instance scoring {score} at threshold {threshold}")


@suite.property("instances are taken best score first, whatever their input order: the better of two overlapping instances keeps the shared pixels")
@given(low=st.sampled_from([0.5, 0.625]), high=st.sampled_from([0.75, 1.0]), shared=st.integers(1, 2))
def best_score_claims_overlap(sol, low, high, shared):
    # Two 3-wide bars overlapping in `shared` columns; the low-score one comes first in the input.
    masks = torch.zeros(2, 2, 6 - shared, dtype=torch.bool)
    masks[0, :, :3] = True
    masks[1, :, 3 - shared:] = True
    semantic = torch.zeros(2, 6 - shared, dtype=torch.int64)
    panoptic, segments = _call(sol, (semantic, masks, torch.tensor([low, high]), torch.tensor([1, 2])),
                               overlap_threshold=1.0, stuff_area_threshold=1, instance_score_threshold=0.5)
    expect(len(segments) >= 1 and int(segments[0]["category_id"]) == 2,
           f"segment 1 must be the instance scoring {high} (category 2); segments: {segments}")
    expect(bool((panoptic[:, 3 - shared:3] == 1).all()),
           f"the shared columns must belong to segment 1 (the better instance); map: {panoptic.tolist()}")


@suite.property("equal scores keep the input order: the lower index is taken first and keeps the shared pixels")
@given(score=st.sampled_from([0.5, 0.75, 1.0]), count=st.integers(2, 3))
def ties_keep_lower_index_first(sol, score, count):
    masks = torch.zeros(count, 3, 3, dtype=torch.bool)
    masks[:, 1, :] = True  # every instance shares the middle row
    for i in range(count):
        masks[i, 0, i % 3] = True
    semantic = torch.zeros(3, 3, dtype=torch.int64)
    labels = torch.arange(1, count + 1)
    panoptic, segments = _call(sol, (semantic, masks, torch.full((count,), score), labels),
                               overlap_threshold=1.0, stuff_area_threshold=1, instance_score_threshold=0.5)
    categories = [int(s["category_id"]) for s in segments]
    expect(categories == list(range(1, count + 1)),
           f"with equal scores the segments must follow the input order (categories 1..{count}); got {categories}")
    expect(bool((panoptic[1] == 1).all()), f"the shared middle row must belong to segment 1; map: {panoptic.tolist()}")


@suite.property("an instance is skipped when MORE than overlap_threshold of its own mask is already claimed; exactly the threshold is still kept")
@given(claimed=st.integers(0, 4), threshold=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]))
def overlap_fraction_rule(sol, claimed, threshold):
    context(claimed_fraction=claimed / 4, overlap_threshold=threshold)
    # The first instance (score 1) covers `claimed` of the second one's 4 pixels, plus 4 of its own.
    masks = torch.zeros(2, 3, 8, dtype=torch.bool)
    masks[0, 0, :] = True
    masks[1, 0, 8 - claimed:] = True
    masks[1, 1, 8 - (4 - claimed):] = True
    semantic = torch.zeros(3, 8, dtype=torch.int64)
    _, segments = _call(sol, (semantic, masks, torch.tensor([1.0, 0.75]), torch.tensor([1, 2])),
                        overlap_threshold=threshold, stuff_area_threshold=1, instance_score_threshold=0.5)
    kept = claimed / 4 <= threshold
    expect_equal(len(segments), 2 if kept else 1,
                 what=f"segments when {claimed} of 4 pixels are already claimed, overlap_threshold {threshold}")


@suite.property("stuff is judged on the pixels no thing claimed: a label whose free area falls below stuff_area_threshold gets no segment")
@given(free=st.integers(0, 6), threshold=st.integers(1, 6))
def stuff_area_counts_unclaimed_pixels(sol, free, threshold):
    context(free_pixels=free, stuff_area_threshold=threshold)
    semantic = torch.full((2, 6), 3, dtype=torch.int64)  # 12 pixels of stuff label 3
    masks = torch.zeros(1, 2, 6, dtype=torch.bool)
    masks.view(1, -1)[0, : 12 - free] = True  # a thing covers all but `free` of them
    panoptic, segments = _call(sol, (semantic, masks, torch.tensor([1.0]), torch.tensor([7])),
                               overlap_threshold=0.5, stuff_area_threshold=threshold, instance_score_threshold=0.5)
    stuff = [s for s in segments if not s["isthing"]]
    expect_equal(len(stuff), 1 if free >= threshold else 0,
                 what=f"stuff segments with {free} free pixels of label 3 (12 in total) at threshold {threshold}")


@suite.property("semantic label 0 means 'a thing is here' and never becomes a stuff segment; unclaimed 0 pixels stay void (0)")
@given(height=st.integers(1, 6), width=st.integers(1, 6), stuff_area_threshold=st.integers(0, 3))
def label_zero_is_never_stuff(sol, height, width, stuff_area_threshold):
    semantic = torch.zeros(height, width, dtype=torch.int64)
    empty = torch.zeros(0, height, width, dtype=torch.bool)
    panoptic, segments = _call(sol, (semantic, empty, torch.zeros(0), torch.zeros(0, dtype=torch.int64)),
                               stuff_area_threshold=stuff_area_threshold)
    expect_equal(segments, [], what="segments of an all-zero semantic map with no instances")
    expect_equal(panoptic.to(torch.int32), torch.zeros(height, width, dtype=torch.int32), what="panoptic map")


@suite.property("an instance with an empty mask is skipped without using up an id (and without dividing by zero)")
@given(position=st.integers(0, 2))
def empty_masks_skipped(sol, position):
    masks = torch.zeros(3, 2, 4, dtype=torch.bool)
    others = [i for i in range(3) if i != position]
    masks[others[0], :, :2] = True
    masks[others[1], :, 2:] = True
    semantic = torch.zeros(2, 4, dtype=torch.int64)
    scores = torch.tensor([1.0, 0.875, 0.75])
    panoptic, segments = _call(sol, (semantic, masks, scores, torch.tensor([1, 2, 3])),
                               stuff_area_threshold=1, instance_score_threshold=0.5)
    context(empty_instance=position)
    expect_equal([int(s["id"]) for s in segments], [1, 2], what="segment ids (the empty instance gets none)")
    expect_equal(sorted(set(panoptic.flatten().tolist())), [1, 2], what="ids in the map")


@suite.property("things get the first ids; stuff segments follow in ascending label order")
@given(inputs=merge_inputs())
def things_then_stuff_in_label_order(sol, inputs):
    args, options = inputs
    _, segments = _call(sol, args, **options)
    kinds = [bool(s["isthing"]) for s in segments]
    expect(kinds == sorted(kinds, reverse=True), f"all thing segments must come before all stuff segments; isthing in order: {kinds}")
    stuff = [int(s["category_id"]) for s in segments if not s["isthing"]]
    expect(stuff == sorted(stuff), f"stuff segments must be in ascending label order, got labels {stuff}")
