"""Properties of connected-component labelling (challenge connected_components)."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_equal, expect_raises, expect_tensor
from reference.ops.connected_components import label_components as reference_label

suite = Suite("connected_components")

connectivities = st.sampled_from([4, 8])


@st.composite
def masks(draw, min_side=1, max_side=16):
    """A boolean (H, W) mask; sparse, dense and checkerboard-like ones all appear."""
    height = draw(st.integers(min_side, max_side))
    width = draw(st.integers(min_side, max_side))
    seed = draw(st.integers(0, 2**31 - 1))
    density = draw(st.sampled_from([0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0]))
    gen = torch.Generator().manual_seed(seed)
    return torch.rand((height, width), generator=gen) < density


def _call(sol, mask, connectivity):
    result = sol.label_components(mask, connectivity)
    expect(isinstance(result, tuple) and len(result) == 2,
           f"label_components must return a tuple (labels, count), got {type(result).__name__}")
    return result


def _first_pixels(labels: torch.Tensor, count: int):
    """The raster index of the first pixel of each label 1..count."""
    flat = labels.flatten().tolist()
    first = {}
    for index, value in enumerate(flat):
        if value and value not in first:
            first[value] = index
    return [first.get(k) for k in range(1, count + 1)]


@suite.property("returns (labels, count): labels an int32 (H, W) tensor, count a Python int")
@given(mask=masks(), connectivity=connectivities)
def output_contract(sol, mask, connectivity):
    labels, count = _call(sol, mask, connectivity)
    expect_tensor(labels, what="labels", dtype=torch.int32, shape=tuple(mask.shape))
    expect(isinstance(count, int) and not isinstance(count, bool),
           f"count must be a Python int, got {type(count).__name__}: {count!r}")


@suite.property("labels and count equal the reference (scipy.ndimage.label with the matching structure) for 4- and 8-connectivity")
@given(mask=masks(), connectivity=connectivities)
def matches_reference(sol, mask, connectivity):
    labels, count = _call(sol, mask, connectivity)
    expected, expected_count = reference_label(mask, connectivity)
    expect_equal(count, expected_count, what=f"number of components ({connectivity}-connectivity)")
    expect_equal(torch.as_tensor(labels).to(torch.int32), expected, what=f"labels ({connectivity}-connectivity)")


@suite.property("worked example from the statement: an X of five pixels is 5 components with 4-connectivity and 1 with 8-connectivity")
@given(connectivity=connectivities)
def worked_example(sol, connectivity):
    mask = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=torch.bool)
    labels, count = _call(sol, mask, connectivity)
    if connectivity == 4:
        expected = torch.tensor([[1, 0, 2], [0, 3, 0], [4, 0, 5]], dtype=torch.int32)
    else:
        expected = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=torch.int32)
    expect_equal(count, 5 if connectivity == 4 else 1, what=f"count ({connectivity}-connectivity)")
    expect_equal(torch.as_tensor(labels).to(torch.int32), expected, what=f"labels ({connectivity}-connectivity)")


# Computed with scipy.ndimage.label (scipy 1.17): structure generate_binary_structure(2, 1) for 4,
# np.ones((3, 3)) for 8.
SCIPY_CASES = [
    ([[1, 1, 0, 0, 1], [0, 1, 0, 1, 1], [0, 0, 0, 0, 0], [1, 0, 1, 0, 1]],
     {4: ([[1, 1, 0, 0, 2], [0, 1, 0, 2, 2], [0, 0, 0, 0, 0], [3, 0, 4, 0, 5]], 5),
      8: ([[1, 1, 0, 0, 2], [0, 1, 0, 2, 2], [0, 0, 0, 0, 0], [3, 0, 4, 0, 5]], 5)}),
    ([[0, 1, 1, 1, 0], [1, 0, 0, 0, 1], [1, 0, 1, 0, 1], [0, 1, 1, 1, 0]],
     {4: ([[0, 1, 1, 1, 0], [2, 0, 0, 0, 3], [2, 0, 4, 0, 3], [0, 4, 4, 4, 0]], 4),
      8: ([[0, 1, 1, 1, 0], [1, 0, 0, 0, 1], [1, 0, 1, 0, 1], [0, 1, 1, 1, 0]], 1)}),
    ([[1, 0, 0, 1], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]],
     {4: ([[1, 0, 0, 2], [1, 0, 3, 0], [1, 1, 0, 0], [0, 0, 0, 4]], 4),
      8: ([[1, 0, 0, 1], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 2]], 2)}),
]


@suite.property("agrees with fixed scipy.ndimage.label results, including a ring that 8-connectivity closes through its corners")
@given(case=st.sampled_from(range(len(SCIPY_CASES))), connectivity=connectivities)
def scipy_fixed_values(sol, case, connectivity):
    mask, results = SCIPY_CASES[case]
    expected, expected_count = results[connectivity]
    labels, count = _call(sol, torch.tensor(mask, dtype=torch.bool), connectivity)
    expect_equal(count, expected_count, what=f"count ({connectivity}-connectivity)")
    expect_equal(torch.as_tensor(labels).to(torch.int32), torch.tensor(expected, dtype=torch.int32),
                 what=f"labels ({connectivity}-connectivity)")


@suite.property("labels are 0 exactly on background pixels, and the foreground uses every label 1..count and no other")
@given(mask=masks(), connectivity=connectivities)
def labels_are_one_to_count(sol, mask, connectivity):
    labels, count = _call(sol, mask, connectivity)
    labels = torch.as_tensor(labels)
    expect_equal(labels == 0, ~mask, what="where the labels are 0 (must be exactly the background)")
    used = sorted(set(labels[mask].tolist()))
    expect(used == list(range(1, count + 1)),
           f"the foreground must use exactly the labels 1..{count}; it uses {used}")


@suite.property("components are numbered in raster order: label k+1's first pixel (row by row, left to right) comes after label k's")
@given(mask=masks(), connectivity=connectivities)
def raster_order(sol, mask, connectivity):
    labels, count = _call(sol, mask, connectivity)
    firsts = _first_pixels(torch.as_tensor(labels), count)
    expect(None not in firsts and firsts == sorted(firsts),
           f"first raster index of labels 1..{count}: {firsts}; they must increase")


@suite.property("touching foreground pixels (sharing an edge, or also a corner with connectivity 8) always share a label")
@given(mask=masks(), connectivity=connectivities)
def neighbours_share_label(sol, mask, connectivity):
    labels, _ = _call(sol, mask, connectivity)
    labels = torch.as_tensor(labels)
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if connectivity == 8 else [])
    height, width = mask.shape
    for r in range(height):
        for c in range(width):
            for dr, dc in steps:
                nr, nc = r + dr, c + dc
                if 0 <= nr < height and 0 <= nc < width and mask[r, c] and mask[nr, nc]:
                    a, b = int(labels[r, c]), int(labels[nr, nc])
                    expect(a == b, f"pixels ({r}, {c}) and ({nr}, {nc}) touch but got labels {a} and {b}")


@suite.property("the image does not wrap around: pixels on opposite borders are not neighbours")
@given(height=st.integers(1, 8), width=st.integers(3, 8), connectivity=connectivities)
def edges_do_not_wrap(sol, height, width, connectivity):
    mask = torch.zeros(height, width, dtype=torch.bool)
    mask[:, 0] = True
    mask[:, -1] = True
    labels, count = _call(sol, mask, connectivity)
    expect_equal(count, 2, what="count for a left column and a right column with a gap between them")
    if height >= 3:
        mask = torch.zeros(height, width, dtype=torch.bool)
        mask[0, 1:-1] = True
        mask[-1, 1:-1] = True
        labels, count = _call(sol, mask, connectivity)
        expect_equal(count, 2, what="count for a top row and a bottom row with a gap between them")


@suite.property("8-connectivity only merges: each 4-connected component lies inside one 8-connected component")
@given(mask=masks())
def eight_only_merges(sol, mask):
    four, count4 = _call(sol, mask, 4)
    eight, count8 = _call(sol, mask, 8)
    four, eight = torch.as_tensor(four), torch.as_tensor(eight)
    expect(count8 <= count4, f"8-connectivity found {count8} components, more than 4-connectivity's {count4}")
    for k in range(1, count4 + 1):
        inside = set(eight[four == k].tolist())
        expect(len(inside) == 1, f"4-component {k} is split across 8-components {sorted(inside)}")


@suite.property("the five-cups lesson: overlapping discs in one semantic mask become one component; separated discs stay apart")
@given(radius=st.integers(1, 3), gap=st.integers(-2, 3), connectivity=connectivities)
def touching_objects_merge(sol, radius, gap, connectivity):
    context(radius=radius, centre_distance=2 * radius + gap)
    size = 4 * radius + 8
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre_a = (size // 2, radius + 1)
    centre_b = (size // 2, radius + 1 + 2 * radius + gap)
    disc = lambda cy, cx: (ys - cy) ** 2 + (xs - cx) ** 2 <= radius**2  # noqa: E731
    mask = disc(*centre_a) | disc(*centre_b)
    _, count = _call(sol, mask, connectivity)
    _, expected = reference_label(mask, connectivity)
    expect_equal(count, expected, what=f"components of two discs whose centres are {2 * radius + gap} pixels apart")


@suite.property("an empty mask has count 0 and all-zero labels; a full mask is one component labelled 1")
@given(height=st.integers(1, 10), width=st.integers(1, 10), connectivity=connectivities)
def empty_and_full(sol, height, width, connectivity):
    labels, count = _call(sol, torch.zeros(height, width, dtype=torch.bool), connectivity)
    expect_equal(count, 0, what="count of an empty mask")
    expect_equal(torch.as_tensor(labels).to(torch.int32), torch.zeros(height, width, dtype=torch.int32), what="labels of an empty mask")
    labels, count = _call(sol, torch.ones(height, width, dtype=torch.bool), connectivity)
    expect_equal(count, 1, what="count of a full mask")
    expect_equal(torch.as_tensor(labels).to(torch.int32), torch.ones(height, width, dtype=torch.int32), what="labels of a full mask")


@suite.property("a connectivity other than 4 or 8 raises ValueError")
@given(connectivity=st.sampled_from([0, 1, 2, 6, 9, 24]))
def bad_connectivity_raises(sol, connectivity):
    expect_raises(ValueError, sol.label_components, torch.ones(2, 2, dtype=torch.bool), connectivity,
                  what=f"label_components(mask, connectivity={connectivity})")
