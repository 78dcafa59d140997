"""Properties of difference hashing and near-duplicate search, shared by every dedup track."""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_equal
from reference.ops.dedup import dhash as reference_dhash
from reference.ops.dedup import near_duplicates as reference_near_duplicates
from grader.suites.strategies import dtypes

suite = Suite("dedup")

# Images hold whole numbers 0..255 and cells average at most a few dozen pixels, so every cell mean
# is a sum divided by a count, exact up to one rounding: float32 and float64 solutions order the
# cells identically, and equal cells compare equal. Hashes are then compared bit for bit.


@st.composite
def images(draw, *, min_side=1, max_side=24):
    """(image, hash_size): a grayscale (H, W) image of whole numbers 0..255, float32 or float64."""
    h, w = draw(st.integers(min_side, max_side), label="H"), draw(st.integers(min_side, max_side), label="W")
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1), label="seed"))
    levels = draw(st.sampled_from([2, 4, 256]), label="grey levels")  # few levels: many equal cells
    image = (torch.randint(0, levels, (h, w), generator=generator) * (255 // max(levels - 1, 1))).to(draw(dtypes))
    return image, draw(st.integers(1, 8), label="hash_size")


def hash_of(sol, image, hash_size):
    value = sol.dhash(image, hash_size)
    expect(isinstance(value, int) and not isinstance(value, bool),
           f"dhash should return a Python int, got {type(value).__name__}: {value!r}")
    return value


def bits(value, n):
    return format(value, f"0{n}b") if 0 <= value < 2**n else f"{value} (out of range)"


@suite.property("dhash returns a Python int in [0, 2**(hash_size²))")
@given(data=images())
def dhash_output_contract(sol, data):
    image, hash_size = data
    value = hash_of(sol, image, hash_size)
    expect(0 <= value < 2 ** (hash_size * hash_size),
           f"dhash(image, {hash_size}) = {value} does not fit in {hash_size * hash_size} bits")


@suite.property("dhash equals the reference: adaptive_avg_pool2d to (hash_size, hash_size + 1), right > left, row-major, first bit most significant")
@given(data=images())
def dhash_matches_reference(sol, data):
    image, hash_size = data
    n = hash_size * hash_size
    got, want = hash_of(sol, image, hash_size), reference_dhash(image.double(), hash_size)
    expect(got == want, f"dhash(image, {hash_size}): expected bits {bits(want, n)}, got {bits(got, n)}")


@suite.property("the cells are exactly torch.nn.functional.adaptive_avg_pool2d's, also when H and W are not multiples of the grid")
@given(data=images(min_side=2), dtype=dtypes)
def cells_are_adaptive_average(sol, data, dtype):
    image, hash_size = data
    # A saw-tooth of whole numbers plus the image: comparing its pooled cells differs between area
    # averaging, nearest sampling and bilinear resizing wherever windows overlap.
    h, w = image.shape
    ramp = (torch.arange(w) % 5).to(dtype)[None, :].expand(h, w) * 300 + image.to(dtype)
    cells = F.adaptive_avg_pool2d(ramp.double()[None, None], (hash_size, hash_size + 1))[0, 0]
    want = int("".join("1" if b else "0" for b in (cells[:, 1:] > cells[:, :-1]).flatten().tolist()), 2)
    got = hash_of(sol, ramp.contiguous(), hash_size)
    n = hash_size * hash_size
    expect(got == want, f"dhash of a (H, W) = {tuple(ramp.shape)} staircase with hash_size {hash_size}: expected "
                        f"{bits(want, n)} from adaptive_avg_pool2d cells, got {bits(got, n)}")


@suite.property("worked example from the statement: [[0, 2, 4, 6, 3, 3], [9, 9, 1, 3, 8, 8]] with hash_size 2 has cells [[1, 5, 3], [9, 2, 8]] and hash 0b1001 = 9")
@given(dtype=dtypes)
def dhash_worked_example(sol, dtype):
    image = torch.tensor([[0.0, 2, 4, 6, 3, 3], [9, 9, 1, 3, 8, 8]], dtype=dtype)
    expect_equal(hash_of(sol, image, 2), 9, what="dhash(image, 2)")
    overlap = torch.tensor([[0.0, 3, 6, 1, 2]] * 2, dtype=dtype)
    expect_equal(hash_of(sol, overlap, 2), 0b1010, what="dhash of [[0, 3, 6, 1, 2]] * 2 (cells [1.5, 10/3, 1.5])")


@suite.property("the first comparison (top row, left pair) is the most significant bit and bits run row by row")
@given(hash_size=st.integers(2, 6), row=st.integers(0, 5), col=st.integers(0, 5), dtype=dtypes)
def bit_order(sol, hash_size, row, col, dtype):
    row, col = row % hash_size, col % hash_size
    image = torch.zeros(hash_size, hash_size + 1, dtype=dtype)
    image[row, col + 1] = 1.0  # one bright pixel: only comparison (row, col) is "right brighter"
    context(bright_pixel=(row, col + 1))
    n = hash_size * hash_size
    want = 1 << (n - 1 - (row * hash_size + col))
    got = hash_of(sol, image, hash_size)
    expect(got == want, f"a single bright pixel at {(row, col + 1)} should set only bit {row * hash_size + col} "
                        f"counted from the most significant: expected {bits(want, n)}, got {bits(got, n)}")


@suite.property("a flat image hashes to 0 (equal neighbours are not 'brighter'), a left-to-right ramp to all ones")
@given(h=st.integers(1, 20), w=st.integers(1, 20), hash_size=st.integers(1, 8), level=st.integers(0, 255), dtype=dtypes)
def flat_and_ramp(sol, h, w, hash_size, level, dtype):
    flat = torch.full((h, w), float(level), dtype=dtype)
    expect_equal(hash_of(sol, flat, hash_size), 0, what=f"dhash of a flat {h}×{w} image")
    w = max(w, hash_size + 1)
    ramp = torch.arange(w, dtype=dtype)[None, :].expand(h, w).contiguous()
    expect_equal(hash_of(sol, ramp, hash_size), 2 ** (hash_size * hash_size) - 1, what=f"dhash of a {h}×{w} left-to-right ramp")


@suite.property("brightness and contrast changes (x -> a·x + b with a > 0) leave the hash unchanged")
@given(data=images(), a=st.sampled_from([2.0, 0.5, 4.0]), b=st.integers(-100, 100))
def brightness_invariant(sol, data, a, b):
    image, hash_size = data
    context(a=a, b=b)
    expect_equal(hash_of(sol, image * a + b, hash_size), hash_of(sol, image, hash_size), what="hash after a·x + b against before")


@suite.property("near_duplicates returns a sorted list of (i, j) tuples of ints with i < j")
@given(hashes=st.lists(st.integers(0, 15), max_size=8), max_distance=st.integers(0, 4))
def near_output_contract(sol, hashes, max_distance):
    pairs = sol.near_duplicates(hashes, max_distance)
    expect(isinstance(pairs, list), f"near_duplicates should return a list, got {type(pairs).__name__}")
    for p in pairs:
        expect(isinstance(p, tuple) and len(p) == 2 and all(isinstance(v, int) for v in p),
               f"each pair should be a tuple (i, j) of two ints, got {p!r}")
        expect(0 <= p[0] < p[1] < len(hashes), f"pairs need 0 <= i < j < {len(hashes)}, got {p!r}")
    expect(pairs == sorted(set(pairs)), f"the pairs should be sorted and unique, got {pairs}")


@suite.property("near_duplicates lists exactly the pairs whose hashes differ in at most max_distance bits (Hamming distance)")
@given(hashes=st.lists(st.one_of(st.integers(0, 255), st.integers(0, 2**64 - 1)), max_size=10), max_distance=st.integers(0, 10))
def near_matches_reference(sol, hashes, max_distance):
    expect_equal(sol.near_duplicates(hashes, max_distance), reference_near_duplicates(hashes, max_distance),
                 what=f"near_duplicates(hashes, {max_distance})")


@suite.property("worked example from the statement: [0b1011, 0b1001, 0b0100, 0b1011] within 1 bit gives [(0, 1), (0, 3), (1, 3)]")
@given(st.just(None))
def near_worked_example(sol, _):
    expect_equal(sol.near_duplicates([0b1011, 0b1001, 0b0100, 0b1011], 1), [(0, 1), (0, 3), (1, 3)],
                 what="near_duplicates([0b1011, 0b1001, 0b0100, 0b1011], 1)")


@suite.property("the threshold is inclusive: two hashes exactly max_distance bits apart are a pair, one more bit apart are not")
@given(base=st.integers(0, 2**64 - 1), flips=st.sets(st.integers(0, 63), min_size=1, max_size=12))
def threshold_inclusive(sol, base, flips):
    other = base
    for bit in flips:
        other ^= 1 << bit
    distance = len(flips)
    context(distance=distance)
    expect_equal(sol.near_duplicates([base, other], distance), [(0, 1)], what=f"hashes {distance} bits apart, max_distance {distance}")
    expect_equal(sol.near_duplicates([base, other], distance - 1), [], what=f"hashes {distance} bits apart, max_distance {distance - 1}")


@suite.property("max_distance 0 pairs exact duplicates only, and all of them (three copies give three pairs)")
@given(value=st.integers(0, 2**64 - 1), others=st.lists(st.integers(0, 2**64 - 1), max_size=4, unique=True))
def exact_duplicates(sol, value, others):
    hashes = [value] + [o for o in others if o != value] + [value, value]
    n = len(hashes)
    expect_equal(sol.near_duplicates(hashes, 0), [(0, n - 2), (0, n - 1), (n - 2, n - 1)],
                 what="near_duplicates with three copies of one hash at 0, n-2 and n-1, max_distance 0")
