"""grader/memory.py (extra peak memory of a box, read by the judge from /proc) and the chunked CLIP
loss reference it grades against: what the measurement sees, that the box cannot lower it, how a
failed box is reported, and that the tiled loss and its hand-written backward equal the naive loss."""

from pathlib import Path

import pytest
import torch

from grader.box import BoxSpec, Role, start
from grader.memory import measure_extra_peak
from grader.remote import Box, BoxGone
from grader.suite import CandidateRaised
from reference.ops.clip_loss import clip_loss as naive_clip_loss
from reference.ops.clip_loss_chunked import clip_loss as chunked_clip_loss

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "memory"
EXPECTED = {"f": {"parameters": ["x"], "text": "f(x)"}}


@pytest.fixture
def box(tmp_path):
    """A fresh memory-measuring box for a fixture solution ``f(x)``, killed afterwards."""
    started = []

    def start_box(name: str) -> Box:
        spec = BoxSpec(role=Role.CANDIDATE, track="python", scratch=str(tmp_path), output_path=str(tmp_path / "out"),
                       solution=str(FIXTURES / f"{name}.py"), expected=EXPECTED, project_root=str(ROOT),
                       measure_memory=True)
        b = Box(*start(spec), "candidate's")
        started.append(b)
        b.wait_loaded(60)
        return b

    yield start_box
    for b in started:
        b.kill()


def _x():
    return [torch.arange(4, dtype=torch.float64).requires_grad_(True)]


def test_a_large_allocation_is_measured_and_its_output_comes_back(box):
    extra, outputs = measure_extra_peak(box("allocates"), "f", _x())
    assert 256 * MB <= extra < 320 * MB, f"measured {extra / MB:.1f} MB for a 256 MB tensor"
    assert float(outputs[0]) == 256 * MB // 4 + 6
    assert torch.equal(outputs[1], torch.ones(4, dtype=torch.float64)), "the gradient comes back too"


def test_a_tiny_call_measures_little(box):
    extra, outputs = measure_extra_peak(box("tiny"), "f", [torch.arange(10, dtype=torch.float64)])
    assert extra < 16 * MB, f"measured {extra / MB:.1f} MB for 80 bytes"
    assert torch.equal(outputs[0], torch.arange(10, dtype=torch.float64) * 2)


def test_the_box_cannot_reset_its_own_peak(box):
    extra, _ = measure_extra_peak(box("resets_its_peak"), "f", _x())
    assert extra >= 256 * MB, f"measured {extra / MB:.1f} MB: the box reset its high-water mark"


def test_an_exception_in_the_call_is_reported(box):
    with pytest.raises(CandidateRaised, match="raised ValueError: boom"):
        measure_extra_peak(box("raises"), "f", _x())


def test_a_box_that_dies_is_reported_with_its_signal(box):
    with pytest.raises(BoxGone, match="SIGKILL"):
        measure_extra_peak(box("dies"), "f", _x())


# --- the chunked reference equals the naive loss --------------------------------------------------


def _loss_and_gradients(fn, image, text, scale, **kwargs):
    image = image.clone().requires_grad_(True)
    text = text.clone().requires_grad_(True)
    scale = scale.clone().requires_grad_(True) if isinstance(scale, torch.Tensor) else scale
    loss = fn(image, text, scale, **kwargs)
    loss.backward()
    return loss.detach(), image.grad, text.grad, scale.grad if isinstance(scale, torch.Tensor) else None


@pytest.mark.parametrize("n, d", [(1, 3), (7, 5), (33, 8), (64, 16)])
@pytest.mark.parametrize("chunk_size", [1, 2, 5, 16, 1024])
@pytest.mark.parametrize("scale", [1 / 0.07, 100.0, "tensor"])
def test_chunked_reference_equals_naive(n, d, chunk_size, scale):
    generator = torch.Generator().manual_seed(n * 1000 + chunk_size)
    image = torch.randn(n, d, generator=generator, dtype=torch.float64) * 5
    text = torch.randn(n, d, generator=generator, dtype=torch.float64)
    if scale == "tensor":
        scale = torch.tensor(2.5, dtype=torch.float64)
    before = image.clone(), text.clone()
    got = _loss_and_gradients(chunked_clip_loss, image, text, scale, chunk_size=chunk_size)
    want = _loss_and_gradients(naive_clip_loss, image, text, scale)
    for name, g, w in zip(("loss", "grad image", "grad text", "grad logit_scale"), got, want):
        if w is None:
            assert g is None
            continue
        assert g.shape == w.shape and g.dtype == w.dtype, name
        torch.testing.assert_close(g, w, atol=1e-10, rtol=1e-10, msg=lambda m, name=name: f"{name}: {m}")
    assert torch.equal(image, before[0]) and torch.equal(text, before[1]), "inputs modified"


def test_chunked_reference_float32_is_finite_at_scale_100():
    generator = torch.Generator().manual_seed(0)
    image = torch.randn(9, 6, generator=generator) * 3000
    text = torch.randn(9, 6, generator=generator)
    got = _loss_and_gradients(chunked_clip_loss, image, text, 100.0, chunk_size=2)
    want = _loss_and_gradients(naive_clip_loss, image.double(), text.double(), 100.0)
    for g, w in zip(got[:3], want[:3]):
        assert torch.isfinite(g).all()
        torch.testing.assert_close(g.double(), w, atol=1e-4, rtol=1e-4)
