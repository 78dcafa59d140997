"""Properties of Faster R-CNN / FPN anchor generation (torchvision's AnchorGenerator), shared by
every anchors track.

Rounding: torchvision computes the half-widths in float32 and rounds them half to even. A correct
solution computing in float64 (or in another order) can round the other way only where the exact
half-width lies within float32 error of a .5 boundary. Coordinates are therefore compared exactly,
except within ``window(x)`` of such a boundary, where one rounding unit (1) is accepted. Exact
halves (ratio 1, 4 or 0.25 with suitable sizes) are computed exactly by every method and stay exact.
"""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_equal, expect_tensor, fail
from reference.ops.anchors import generate_anchors as reference_anchors

suite = Suite("anchors")

# Ratios detectors use (1/3, 0.5, 1, 2, 3 ...), perfect squares (exact square roots) and, via a
# second branch, arbitrary float32 values.
RATIO_CHOICES = (0.25, 0.5, 1.0, 2.0, 4.0, 1 / 3, 3.0, 0.75, 1.5, 0.2, 5.0)
ratios = st.one_of(st.sampled_from(RATIO_CHOICES), st.floats(0.125, 8.0, width=32))
anchor_sizes = st.integers(1, 512)


def window(x: float) -> float:
    """How close to a .5 boundary float32 rounding error can reach (measured: 1.3e-7 relative)."""
    return max(1e-4, 1e-6 * abs(x))


def half_extents(sizes, aspect_ratios) -> list[tuple[float, float]]:
    """(w/2, h/2) of each cell anchor in float64, ratio-major."""
    return [(s / math.sqrt(r) / 2, s * math.sqrt(r) / 2) for r in aspect_ratios for s in sizes]


def knife_edge(x: float) -> bool:
    distance = abs(x - math.floor(x) - 0.5)
    return 0 < distance < window(x)


def tolerances(feature_size, sizes, aspect_ratios) -> torch.Tensor:
    """Per coordinate: 0 (exact) or 1 (a half-width within rounding error of .5), tiled over cells."""
    rows = []
    for w, h in half_extents(sizes, aspect_ratios):
        tw, th = float(knife_edge(w)), float(knife_edge(h))
        rows.append([tw, th, tw, th])
    cells = feature_size[0] * feature_size[1]
    return torch.tensor(rows, dtype=torch.float64).repeat(cells, 1)


@st.composite
def anchor_configs(draw, *, min_levels: int = 1, max_levels: int = 3, max_cells: int = 10,
                   max_per_level: int = 3):
    """(image_size, feature_sizes, sizes, aspect_ratios) in torchvision's structure."""
    h = draw(st.integers(1, 320))
    w = draw(st.integers(1, 320))
    levels = draw(st.integers(min_levels, max_levels))
    feature_sizes = [
        (draw(st.integers(1, min(h, max_cells))), draw(st.integers(1, min(w, max_cells)))) for _ in range(levels)
    ]
    sizes = tuple(tuple(draw(st.lists(anchor_sizes, min_size=1, max_size=max_per_level))) for _ in range(levels))
    aspect = tuple(tuple(draw(st.lists(ratios, min_size=1, max_size=max_per_level))) for _ in range(levels))
    return (h, w), feature_sizes, sizes, aspect


def per_cell(sizes, aspect_ratios) -> int:
    return len(sizes) * len(aspect_ratios)


def levels_of(sol, config, what="generate_anchors(image_size, feature_sizes, sizes, aspect_ratios)"):
    """The candidate's levels, checked against the output contract."""
    image_size, feature_sizes, sizes, aspect = config
    out = sol.generate_anchors(image_size, feature_sizes, sizes, aspect)
    if not isinstance(out, (list, tuple)):
        fail(f"{what} should return a list with one tensor per level, got {type(out).__name__}")
    expect(len(out) == len(feature_sizes), f"{what} returned {len(out)} levels for {len(feature_sizes)} feature maps")
    for i, (level, (fh, fw), s, r) in enumerate(zip(out, feature_sizes, sizes, aspect)):
        count = fh * fw * per_cell(s, r)
        expect_tensor(level, what=f"level {i} ({fh}x{fw} cells x {per_cell(s, r)} anchors)", dtype=torch.float32,
                      shape=(count, 4))
    return list(out)


def locate(k: int, feature_size, a: int) -> str:
    fh, fw = feature_size
    cell, anchor = divmod(k, a)
    y, x = divmod(cell, fw)
    return f"row {k} (cell y={y}, x={x}, cell anchor {anchor})"


def expect_anchors(got: torch.Tensor, expected: torch.Tensor, tol: torch.Tensor, *, what: str, feature_size, a: int):
    diff = (got.double() - expected.double()).abs()
    bad = diff > tol
    if bool(bad.any()):
        k = int(bad.any(1).nonzero()[0])
        fail(
            f"{what}: at {locate(k, feature_size, a)} expected {[int(v) for v in expected[k].tolist()]}, "
            f"got {[round(v, 4) for v in got[k].tolist()]} ({int(bad.any(1).sum())} rows differ); coordinates "
            f"must match exactly, except within 1 where a half-width lies within rounding error of .5"
        )


# --- the output contract ---------------------------------------------------------------------------


@suite.property(
    "returns a list with one float32 tensor per level, of shape (H*W*A, 4) where A = len(sizes) * len(aspect_ratios)"
)
@given(config=anchor_configs())
def output_contract(sol, config):
    levels_of(sol, config)


@suite.property(
    "no +1 pixel: a square anchor of even size s spans exactly s pixels, so size 30 with ratio 1 is "
    "[-15, -15, 15, 15] (the legacy Detectron generator spans s - 1 pixels: [-14.5, ..., 14.5], rounded)"
)
@given(half=st.integers(1, 256), feature=st.integers(1, 4))
def no_plus_one_pixel(sol, half, feature):
    size = 2 * half
    image = feature * 8
    config = ((image, image), [(feature, feature)], ((size,),), ((1.0,),))
    anchor = levels_of(sol, config)[0][0].tolist()
    expect(anchor == [-half, -half, half, half],
           f"the anchor of size {size}, ratio 1 at cell (0, 0) is {anchor}, expected {[-half, -half, half, half]}: "
           f"x2 - x1 is the width itself, {size}, not width - 1 as in legacy code that counts width = x2 - x1 + 1")


# --- worked example and equality -------------------------------------------------------------------

WORKED = [
    [-23, -11, 23, 11], [-45, -23, 45, 23], [-16, -16, 16, 16], [-32, -32, 32, 32], [-11, -23, 11, 23], [-23, -45, 23, 45],
    [9, -11, 55, 11], [-13, -23, 77, 23], [16, -16, 48, 16], [0, -32, 64, 32], [21, -23, 43, 23], [9, -45, 55, 45],
    [-23, 21, 23, 43], [-45, 9, 45, 55], [-16, 16, 16, 48], [-32, 0, 32, 64], [-11, 9, 11, 55], [-23, -13, 23, 77],
    [9, 21, 55, 43], [-13, 9, 77, 55], [16, 16, 48, 48], [0, 0, 64, 64], [21, 9, 43, 55], [9, -13, 55, 77],
]


@suite.property(
    "worked example from the statement: a 64x64 image, one 2x2 level, sizes (32, 64), ratios (0.5, 1, 2) "
    "gives these 24 anchors exactly"
)
@given(as_lists=st.booleans())
def worked_example(sol, as_lists):
    config = ((64, 64), [(2, 2)], ((32, 64),), ((0.5, 1.0, 2.0),))
    if as_lists:  # the same arguments as lists: a solution must not depend on tuple vs list
        config = ([64, 64], [[2, 2]], [[32, 64]], [[0.5, 1.0, 2.0]])
    (level,) = levels_of(sol, config)
    expect_anchors(level, torch.tensor(WORKED, dtype=torch.float64), torch.zeros(24, 4), what="anchors",
                   feature_size=(2, 2), a=6)


@suite.property(
    "every level equals the reference exactly (within 1 only where a half-width lands within rounding error of .5)"
)
@given(config=anchor_configs())
def matches_reference(sol, config):
    image_size, feature_sizes, sizes, aspect = config
    out = levels_of(sol, config)
    for i, (level, expected, fs, s, r) in enumerate(zip(out, reference_anchors(*config), feature_sizes, sizes, aspect)):
        expect_anchors(level, expected, tolerances(fs, s, r), what=f"level {i}", feature_size=fs, a=per_cell(s, r))


# Cross-checked with torchvision 0.29.1's AnchorGenerator (an ImageList of the image size and
# feature maps of these sizes; its output split per level). No half-width here is near .5.
TV_CASES = [
    (
        ((200, 296), [(50, 74), (25, 37), (13, 19), (7, 10)], ((32,), (64,), (128,), (256,)), ((0.5, 1.0, 2.0),) * 4),
        [
            (11100, {0: [-23, -11, 23, 11], 2: [-11, -23, 11, 23], 3: [-19, -11, 27, 11], 222: [-23, -7, 23, 15],
                     226: [-12, -12, 20, 20], 5550: [-23, 89, 23, 111], 11099: [281, 173, 303, 219]}),
            (2775, {0: [-45, -23, 45, 23], 2: [-23, -45, 23, 45], 3: [-37, -23, 53, 23], 111: [-45, -15, 45, 31],
                    115: [-24, -24, 40, 40], 1387: [112, 64, 176, 128], 2774: [265, 147, 311, 237]}),
            (741, {0: [-91, -45, 91, 45], 2: [-45, -91, 45, 91], 3: [-76, -45, 106, 45], 57: [-91, -30, 91, 60],
                   61: [-49, -49, 79, 79], 370: [71, 26, 199, 154], 740: [225, 89, 315, 271]}),
            (210, {0: [-181, -91, 181, 91], 2: [-91, -181, 91, 181], 3: [-152, -91, 210, 91], 30: [-181, -63, 181, 119],
                   34: [-99, -100, 157, 156], 105: [-36, -7, 326, 175], 209: [170, -13, 352, 349]}),
        ],
    ),
    (
        ((97, 131), [(6, 9), (3, 4)], ((24, 40, 57), (90, 181)), ((1 / 3, 0.75, 3.0), (0.5, 2.0))),
        [
            (486, {0: [-21, -7, 21, 7], 8: [-16, -49, 16, 49], 9: [-7, -7, 35, 7], 81: [-21, 9, 21, 23],
                   91: [-21, 4, 49, 28], 243: [-21, 41, 21, 55], 485: [96, 31, 128, 129]}),
            (48, {0: [-64, -32, 64, 32], 3: [-64, -128, 64, 128], 4: [-32, -32, 96, 32], 16: [-64, 0, 64, 64],
                  21: [-96, -32, 160, 96], 24: [0, 0, 128, 64], 47: [32, -64, 160, 192]}),
        ],
    ),
]


@suite.property(
    "agrees with torchvision's AnchorGenerator on two fixed pyramids: 200x296 with four FPN levels, and 97x131 "
    "with several sizes and ratios per level (non-square, strides that do not divide the image)"
)
@given(case=st.sampled_from(range(len(TV_CASES))))
def torchvision_cross_check(sol, case):
    config, expected_levels = TV_CASES[case]
    out = levels_of(sol, config)
    for i, (level, (count, rows), fs, s, r) in enumerate(zip(out, expected_levels, config[1], config[2], config[3])):
        expect(len(level) == count, f"level {i}: expected {count} anchors, got {len(level)}")
        for k, row in rows.items():
            got = [float(v) for v in level[k].tolist()]
            expect(got == [float(v) for v in row],
                   f"level {i}, {locate(k, fs, per_cell(s, r))}: torchvision gives {row}, got {got}")


# --- properties that teach -------------------------------------------------------------------------


@suite.property("every coordinate is a whole number: half-widths are rounded, and shifts are whole multiples of the stride")
@given(config=anchor_configs())
def whole_numbers(sol, config):
    for i, level in enumerate(levels_of(sol, config)):
        frac = (level.double() - level.double().round()).abs()
        if bool((frac > 0).any()):
            k = int((frac > 0).any(1).nonzero()[0])
            fs, s, r = config[1][i], config[2][i], config[3][i]
            fail(f"level {i}, {locate(k, fs, per_cell(s, r))} is {level[k].tolist()}: not whole numbers")


@suite.property(
    "the cell anchors (those of cell y=0, x=0) are centred on (0, 0), ratio-major (ratio outer, size inner), "
    "each w = size / sqrt(ratio) wide and h = size * sqrt(ratio) tall to within 1 (ratio = height / width)"
)
@given(config=anchor_configs(max_levels=2))
def cell_anchor_shapes(sol, config):
    for i, (level, s, r) in enumerate(zip(levels_of(sol, config), config[2], config[3])):
        cells = level[: per_cell(s, r)].double()
        for a, ((ratio, size), (hw, hh)) in enumerate(zip([(q, p) for q in r for p in s], half_extents(s, r))):
            x1, y1, x2, y2 = cells[a].tolist()
            where = f"level {i}, cell anchor {a} (ratio {ratio:.6g}, size {size})"
            expect(x1 == -x2 and y1 == -y2, f"{where} is {[x1, y1, x2, y2]}: the first cell's anchors are centred on (0, 0)")
            w_ok, h_ok = abs((x2 - x1) - 2 * hw) <= 1.001, abs((y2 - y1) - 2 * hh) <= 1.001
            expect(w_ok and h_ok, f"{where} is {x2 - x1:g} wide and {y2 - y1:g} tall; expected about "
                                  f"{2 * hw:.4g} wide (size / sqrt(ratio)) and {2 * hh:.4g} tall (size * sqrt(ratio))")


@suite.property(
    "anchors come cell by cell in row-major order (y outer, x inner), and every anchor of cell (y, x) is "
    "centred at (x * stride_x, y * stride_y), the cell's top-left corner: no half-stride offset"
)
@given(config=anchor_configs())
def centres_on_stride_grid(sol, config):
    (h, w), feature_sizes, sizes, aspect = config
    for i, (level, (fh, fw), s, r) in enumerate(zip(levels_of(sol, config), feature_sizes, sizes, aspect)):
        a = per_cell(s, r)
        sy, sx = h // fh, w // fw
        cell = torch.arange(fh * fw).repeat_interleave(a)
        want = torch.stack([(cell % fw) * sx, (cell // fw) * sy], 1).double()
        got = torch.stack([level[:, 0] + level[:, 2], level[:, 1] + level[:, 3]], 1).double() / 2
        bad = (got != want).any(1)
        if bool(bad.any()):
            k = int(bad.nonzero()[0])
            fail(f"level {i} (image {h}x{w}, {fh}x{fw} cells, stride x {sx}, y {sy}): {locate(k, (fh, fw), a)} is "
                 f"centred at ({got[k, 0].item():g}, {got[k, 1].item():g}); expected "
                 f"({want[k, 0].item():g}, {want[k, 1].item():g})")


@suite.property(
    "the stride is image_size // feature_size on each axis (integer division): a 100x50 image with a 7x3 map "
    "has strides 14 (y) and 16 (x)"
)
@given(
    fh=st.integers(2, 9), fw=st.integers(2, 9), sy=st.integers(1, 40), sx=st.integers(1, 40),
    ry=st.integers(0, 7), rx=st.integers(0, 7), size=anchor_sizes,
)
def strides_use_integer_division(sol, fh, fw, sy, sx, ry, rx, size):
    # image = cells * stride + a remainder between 1 and cells - 1, so the division is never exact
    h, w = fh * sy + 1 + ry % (fh - 1), fw * sx + 1 + rx % (fw - 1)
    config = ((h, w), [(fh, fw)], ((size,),), ((1.0,),))
    context(stride_y=h // fh, stride_x=w // fw)
    (level,) = levels_of(sol, config)
    half = round(size / 2)
    last = [(fw - 1) * sx - half, (fh - 1) * sy - half, (fw - 1) * sx + half, (fh - 1) * sy + half]
    expect_equal([int(v) for v in level[-1].tolist()], last,
                 what=f"the last anchor (cell y={fh - 1}, x={fw - 1}) for image {h}x{w} and a {fh}x{fw} map")
    expect(bool((level == level.round()).all()), "all coordinates should be whole numbers: the stride is an integer")


@suite.property(
    "on a grid with W != H cells the next cell in memory is one column to the right (x + stride_x), "
    "and W cells later comes the next row (y + stride_y)"
)
@given(
    fh=st.integers(2, 8), extra=st.integers(1, 4), transpose=st.booleans(),
    sy=st.integers(1, 40), sx=st.integers(1, 40), ry=st.integers(0, 7), rx=st.integers(0, 7),
    s=st.lists(anchor_sizes, min_size=1, max_size=2).map(tuple), r=st.lists(ratios, min_size=1, max_size=2).map(tuple),
)
def non_square_grid(sol, fh, extra, transpose, sy, sx, ry, rx, s, r):
    fw = fh + extra
    if transpose:
        fh, fw = fw, fh
    h, w = fh * sy + ry % fh, fw * sx + rx % fw
    config = ((h, w), [(fh, fw)], (s,), (r,))
    (level,) = levels_of(sol, config)
    a = per_cell(s, r)
    sy, sx = h // fh, w // fw
    context(stride_y=sy, stride_x=sx)
    base = level[:a].double()
    if fw > 1:
        moved = level[a: 2 * a].double() - base
        expect(bool((moved == torch.tensor([sx, 0, sx, 0])).all()),
               f"cell 1 should be cell 0 moved right by stride_x = {w} // {fw} = {sx}; it moved by {moved[0].tolist()}")
    if fh > 1:
        moved = level[fw * a: (fw + 1) * a].double() - base
        expect(bool((moved == torch.tensor([0, sy, 0, sy])).all()),
               f"cell {fw} (the first of row 1) should be cell 0 moved down by stride_y = {h} // {fh} = {sy}; "
               f"it moved by {moved[0].tolist()}")


@suite.property("each level is computed on its own: a multi-level call equals calling each level alone")
@given(config=anchor_configs(min_levels=2, max_levels=3))
def levels_are_independent(sol, config):
    image_size, feature_sizes, sizes, aspect = config
    together = levels_of(sol, config)
    for i in range(len(feature_sizes)):
        alone = levels_of(sol, (image_size, [feature_sizes[i]], (sizes[i],), (aspect[i],)),
                          what=f"generate_anchors with only level {i}")
        expect(torch.equal(together[i], alone[0]),
               f"level {i} differs between the multi-level call and calling it alone")


@suite.property(
    "half-widths that are exactly .5 round half to even, like torch.round: size 5 with ratio 1 gives "
    "[-2, -2, 2, 2], size 3 gives [-2, -2, 2, 2], size 1 gives [0, 0, 0, 0]"
)
@given(size=st.integers(0, 60).map(lambda k: 2 * k + 1), ratio=st.sampled_from([1.0, 4.0, 0.25]))
def rounds_half_to_even(sol, size, ratio):
    (level,) = levels_of(sol, ((64, 64), [(1, 1)], ((size,),), ((ratio,),)))
    hw, hh = size / math.sqrt(ratio) / 2, size * math.sqrt(ratio) / 2
    # Python's round is half to even, like torch.round; torchvision gives these values too (checked).
    want = [-round(hw), -round(hh), round(hw), round(hh)]
    context(half_width=hw, half_height=hh)
    expect_equal([int(v) for v in level[0].tolist()], want, what=f"the anchor of size {size}, ratio {ratio:g}")


@suite.property("a single cell the size of the image (a 1x1 map) holds just the cell anchors, centred on (0, 0)")
@given(config=anchor_configs(min_levels=1, max_levels=1))
def one_by_one_map(sol, config):
    (h, w), _, (s,), (r,) = config
    (level,) = levels_of(sol, ((h, w), [(1, 1)], (s,), (r,)))
    expect(bool((level[:, 0] == -level[:, 2]).all() and (level[:, 1] == -level[:, 3]).all()),
           f"the anchors of a 1x1 map should be centred on (0, 0); got {level.tolist()}")
