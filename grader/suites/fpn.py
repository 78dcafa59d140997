"""Properties of the FPN top-down pathway (torchvision's FeaturePyramidNetwork, no extra blocks)."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close, expect_tensor
from reference.ops.fpn import fpn_top_down as reference_fpn
from grader.suites.strategies import dtypes

suite = Suite("fpn")


# Each output is a sum of a few dozen products of O(1) numbers: float32 rounding stays below 1e-5.
ATOL, RTOL = 1e-5, 1e-4


@st.composite
def pyramids(draw, *, min_levels=1, max_levels=4, odd=False):
    """(features, lateral, output) with random values; sizes shrink level by level, by ceil or floor
    halving as strided convolutions do, so odd sizes are common."""
    levels = draw(st.integers(min_levels, max_levels))
    odd_sizes = st.sampled_from([1, 3, 5, 7, 9, 11, 13])
    h, w = draw(odd_sizes if odd else st.integers(1, 12)), draw(odd_sizes if odd else st.integers(1, 12))
    sizes = [(h, w)]
    for _ in range(levels - 1):
        ceil_h, ceil_w = odd or draw(st.booleans()), odd or draw(st.booleans())
        h = max(1, (h + 1) // 2 if ceil_h else h // 2)
        w = max(1, (w + 1) // 2 if ceil_w else w // 2)
        sizes.append((h, w))
    batch, out_channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    channels = [draw(st.integers(1, 3)) for _ in range(levels)]
    dtype, seed = draw(dtypes), draw(st.integers(0, 2**31 - 1))
    context(seed=seed, sizes=sizes)
    g = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)

    features = [rand(batch, c, *s) for c, s in zip(channels, sizes)]
    lateral = [(rand(out_channels, c, 1, 1), rand(out_channels)) for c in channels]
    output = [(rand(out_channels, out_channels, 3, 3), rand(out_channels)) for _ in channels]
    return features, lateral, output


def expected(features, lateral, output):
    def dbl(pairs):
        return [(w.double(), b.double()) for w, b in pairs]

    return reference_fpn([f.double() for f in features], dbl(lateral), dbl(output))


def expect_levels(out, features, out_channels, what, dtype=None):
    expect(isinstance(out, (list, tuple)), f"{what} should return a list of tensors, got {type(out).__name__}")
    expect(len(out) == len(features), f"{what} should return one map per input level ({len(features)}), got {len(out)}")
    for i, (p, c) in enumerate(zip(out, features)):
        shape = (c.shape[0], out_channels, c.shape[2], c.shape[3])
        expect_tensor(p, what=f"{what}[{i}] (the output for features[{i}])", dtype=dtype, shape=shape)


def identity_output(out_channels, dtype):
    """3×3 convolutions that copy their input: 1 at the centre of the kernel's diagonal."""
    weight = torch.zeros(out_channels, out_channels, 3, 3, dtype=dtype)
    weight[range(out_channels), range(out_channels), 1, 1] = 1
    return weight, torch.zeros(out_channels, dtype=dtype)


@suite.property("returns one (N, D, H_i, W_i) map per level, finest first like the input, with the input dtype")
@given(p=pyramids())
def output_contract(sol, p):
    features, lateral, output = p
    out = sol.fpn_top_down(features, lateral, output)
    expect_levels(out, features, lateral[0][1].shape[0], "fpn_top_down", dtype=features[0].dtype)


@suite.property("every level equals output_conv(lateral_conv(C_i) + nearest_upsample(running map above))")
@given(p=pyramids())
def matches_reference(sol, p):
    features, lateral, output = p
    out = sol.fpn_top_down(features, lateral, output)
    expect_levels(out, features, lateral[0][1].shape[0], "fpn_top_down")
    for i, (got, want) in enumerate(zip(out, expected(features, lateral, output))):
        expect_close(got, want, what=f"P level {i}", atol=ATOL, rtol=RTOL)


@suite.property("worked example from the statement: a 2×2 map upsampled onto a 3×3 level")
@given(dtype=dtypes)
def worked_example(sol, dtype):
    c3 = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=dtype)
    c2 = torch.zeros(1, 1, 3, 3, dtype=dtype)
    c2[0, 0, 1, 1] = 10
    one = (torch.ones(1, 1, 1, 1, dtype=dtype), torch.zeros(1, dtype=dtype))
    copy_plus_half = (identity_output(1, dtype)[0], torch.tensor([0.5], dtype=dtype))
    out = sol.fpn_top_down([c2, c3], [one, one], [copy_plus_half, identity_output(1, dtype)])
    expect_levels(out, [c2, c3], 1, "fpn_top_down")
    expect_close(out[0], torch.tensor([[[[1.5, 1.5, 2.5], [1.5, 11.5, 2.5], [3.5, 3.5, 4.5]]]]), what="P2", atol=ATOL, rtol=RTOL)
    expect_close(out[1], c3, what="P3", atol=ATOL, rtol=RTOL)


def library_case(dtype):
    """Three levels of sizes 5×7, 3×4, 2×2 with closed-form values (no random generator involved)."""
    sizes, channels, d = [(5, 7), (3, 4), (2, 2)], [1, 2, 1], 2

    def ramp(n, step, phase, fn):
        return fn(torch.arange(n, dtype=torch.float64) * step + phase)

    features = [ramp(c * h * w, 0.37, i, torch.cos).reshape(1, c, h, w).to(dtype) for i, (c, (h, w)) in enumerate(zip(channels, sizes))]
    lateral = [(ramp(d * c, 0.91, 10 * i, torch.sin).reshape(d, c, 1, 1).to(dtype),
                (0.1 * (torch.arange(d, dtype=torch.float64) - 0.5 + i)).to(dtype)) for i, c in enumerate(channels)]
    output = [((0.3 * ramp(d * d * 9, 0.53, i, torch.cos)).reshape(d, d, 3, 3).to(dtype),
               (0.05 * (torch.arange(d, dtype=torch.float64) + i)).to(dtype)) for i in range(len(channels))]
    return features, lateral, output


# torchvision.ops.FeaturePyramidNetwork([1, 2, 1], 2) with the weights of library_case copied in
# (torchvision 0.29.1, float64).
LIBRARY_P4 = [-0.0291141045, 0.3163437876, 0.7506737877, 0.7203718856, 0.3527928698, 0.0069040363, -0.482949451, -0.4925052348]
LIBRARY_P3 = [0.2638604356, 0.5401997676, 0.6409761367, 0.5236668133, 0.3641458518, 0.4998020972, 0.6161220225, 0.3315407878,
              0.3569769903, 0.3733323244, 0.3407867108, 0.0942285054, -0.0913749952, -0.3631577021, -0.4719172764, -0.3824225721,
              -0.2505988447, -0.4186230205, -0.5389324333, -0.2526858389, -0.2308287444, -0.2785484769, -0.2491581991, 0.0074999759]
LIBRARY_P2_ROW_SUMS = [11.726690548, -6.1801107151, 0.1577636007, 2.8821166968, -1.8508283546,
                       -11.6820258142, 5.8464709434, 0.4992332929, -3.4337252903, 2.1358630449]
LIBRARY_P2_COLUMN_SUMS = [1.6611517722, 1.469802184, 1.3118227129, 1.2161815371, 0.855793669, 0.3344920997, -0.113612199,
                          -1.5953598926, -1.522562372, -1.3220215292, -1.2221836523, -0.8640473227, -0.3204605402, 0.2124514858]


@suite.property("agrees with torchvision's FeaturePyramidNetwork (same weights) on a fixed 5×7 / 3×4 / 2×2 pyramid")
@given(dtype=dtypes)
def library_values(sol, dtype):
    features, lateral, output = library_case(dtype)
    out = sol.fpn_top_down(features, lateral, output)
    expect_levels(out, features, 2, "fpn_top_down")
    expect_close(out[2].flatten(), torch.tensor(LIBRARY_P4), what="P4 against torchvision", atol=ATOL, rtol=RTOL)
    expect_close(out[1].flatten(), torch.tensor(LIBRARY_P3), what="P3 against torchvision", atol=ATOL, rtol=RTOL)
    expect_close(out[0].sum(-1).flatten(), torch.tensor(LIBRARY_P2_ROW_SUMS), what="row sums of P2 against torchvision", atol=ATOL, rtol=RTOL)
    expect_close(out[0].sum(-2).flatten(), torch.tensor(LIBRARY_P2_COLUMN_SUMS), what="column sums of P2 against torchvision", atol=ATOL, rtol=RTOL)


@suite.property("information flows top-down only: the coarsest output depends on the coarsest input alone")
@given(p=pyramids(min_levels=2))
def coarsest_sees_only_itself(sol, p):
    features, lateral, output = p
    changed = [f * 3 - 1 for f in features[:-1]] + [features[-1]]
    first = sol.fpn_top_down(features, lateral, output)
    second = sol.fpn_top_down(changed, lateral, output)
    expect_levels(first, features, lateral[0][1].shape[0], "fpn_top_down")
    expect_close(second[-1], first[-1], what="coarsest output after changing every finer input", atol=ATOL, rtol=RTOL)


def nearest(source, height, width):
    """torch's mode="nearest": output pixel (y, x) copies input pixel (y·h_in // h_out, x·w_in // w_out)."""
    rows = [y * source.shape[-2] // height for y in range(height)]
    cols = [x * source.shape[-1] // width for x in range(width)]
    return source[..., rows, :][..., cols]


@suite.property("the top-down map is copied by nearest neighbour to the finer level's exact size (pixel y takes y·h_in // h_out), never blended")
@given(p=pyramids(min_levels=2))
def nearest_copies_exact_size(sol, p):
    features, lateral, output = p
    d, dtype = lateral[0][1].shape[0], features[0].dtype
    # Only the coarsest lateral is kept and every output conv copies its input, so each level must
    # be the nearest-neighbour copy of the level above.
    silent = [(torch.zeros_like(w), torch.zeros_like(b)) for w, b in lateral[:-1]] + [lateral[-1]]
    copies = [identity_output(d, dtype) for _ in output]
    out = sol.fpn_top_down(features, silent, copies)
    expect_levels(out, features, d, "fpn_top_down")
    want = torch.nn.functional.conv2d(features[-1].double(), lateral[-1][0].double(), lateral[-1][1].double())
    for i in range(len(features) - 1, -1, -1):
        want = nearest(want, *features[i].shape[-2:])
        expect_close(out[i], want, what=f"level {i}: nearest copy of the coarsest lateral map", atol=ATOL, rtol=RTOL)


@suite.property("odd sizes: a 4-row map goes onto a 7-row level exactly (no scale_factor=2), values as the reference")
@given(p=pyramids(min_levels=2, odd=True))
def odd_sizes(sol, p):
    features, lateral, output = p
    out = sol.fpn_top_down(features, lateral, output)
    expect_levels(out, features, lateral[0][1].shape[0], "fpn_top_down")
    for i, (got, want) in enumerate(zip(out, expected(features, lateral, output))):
        expect_close(got, want, what=f"P level {i}", atol=ATOL, rtol=RTOL)


@suite.property("images of a batch do not mix: running two images together equals running each alone")
@given(p=pyramids(max_levels=3))
def batch_independent(sol, p):
    features, lateral, output = p
    together = sol.fpn_top_down(features, lateral, output)
    expect_levels(together, features, lateral[0][1].shape[0], "fpn_top_down")
    for n in range(features[0].shape[0]):
        alone = sol.fpn_top_down([f[n : n + 1] for f in features], lateral, output)
        for i, (a, t) in enumerate(zip(alone, together)):
            expect_close(a, t[n : n + 1], what=f"level {i} of image {n} run alone", atol=ATOL, rtol=RTOL)
