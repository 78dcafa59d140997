"""grader/memory.py (extra peak memory measured in a forked child) and the chunked CLIP loss
reference it grades against: what the measurement sees, how a failed child is reported, and that
the tiled loss and its hand-written backward equal the naive loss."""

import os
import signal
import time

import pytest
import torch

from grader.memory import MemoryRunError, measure_extra_peak
from reference.ops.clip_loss import clip_loss as naive_clip_loss
from reference.ops.clip_loss_chunked import clip_loss as chunked_clip_loss

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def one_thread():
    """The grader's worker forks its children from a one-thread torch (an OpenMP pool that has
    run threads is not safe to use after fork); do the same here, and restore afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- measure_extra_peak ---------------------------------------------------------------------------


def test_a_large_allocation_is_measured_and_its_output_comes_back():
    size = 256 * MB

    def call():
        big = torch.ones(size // 4)  # float32, every page written
        return [big.sum(), big[:3].clone()]

    extra, outputs = measure_extra_peak(call, timeout_s=60)
    assert extra >= size, f"measured {extra / MB:.1f} MB for a {size / MB:.0f} MB tensor"
    assert extra < size + 64 * MB, f"measured {extra / MB:.1f} MB for a {size / MB:.0f} MB tensor"
    assert float(outputs[0]) == size // 4
    assert torch.equal(outputs[1], torch.ones(3))


def test_a_tiny_call_measures_little():
    extra, outputs = measure_extra_peak(lambda: [torch.arange(10, dtype=torch.float64)], timeout_s=60)
    assert extra < 16 * MB, f"measured {extra / MB:.1f} MB for 80 bytes"
    assert torch.equal(outputs[0], torch.arange(10, dtype=torch.float64))


def test_an_exception_in_the_call_is_reported():
    def call():
        raise ValueError("boom")

    with pytest.raises(MemoryRunError, match="raised ValueError: boom"):
        measure_extra_peak(call, timeout_s=60)


def test_a_child_that_dies_is_reported_with_its_exit_status():
    def call():
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(MemoryRunError, match="ended without a result"):
        measure_extra_peak(call, timeout_s=60)


def test_a_child_over_its_timeout_is_killed_and_reported():
    started = time.perf_counter()
    with pytest.raises(MemoryRunError, match="longer than 0.5 s"):
        measure_extra_peak(lambda: time.sleep(30) or [], timeout_s=0.5)
    assert time.perf_counter() - started < 10


def test_outputs_other_than_float_tensors_are_refused():
    with pytest.raises(MemoryRunError, match="expected float32 or float64 tensors"):
        measure_extra_peak(lambda: [torch.arange(3)], timeout_s=60)


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
