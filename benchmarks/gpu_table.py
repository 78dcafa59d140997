"""The GPU table: every CUDA and Numba-CUDA challenge graded with its example solution, and the
project's CUDA box_iou and nms against torchvision's where torchvision is installed.

    python benchmarks/gpu_table.py        (scripts/gpu_check.sh runs it after a CUDA build)
"""

from __future__ import annotations

import statistics
from pathlib import Path

import torch

from grader.catalog import load_catalog
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]


def challenges_table() -> None:
    print(f"{'challenge':<22} {'status':<10} {'ratio':>8} {'threshold':>10}  message")
    for challenge in load_catalog(ROOT):
        if challenge.track not in ("cuda", "numba-cuda"):
            continue
        result = grade_challenge(challenge, ROOT, challenge.example_path(ROOT), profile="quick", seed=0, trusted=True)
        speed = result.measurement("speed")
        ratio = f"{speed.ratio:.2f}×" if speed else "—"
        threshold = f"{speed.threshold:g}×" if speed and speed.graded else "—"
        failing = "; ".join(f"{t.name}: {t.message}" for t in result.failures)
        first_line = (result.message or failing).strip().split("\n")[0][:160]
        print(f"{challenge.id:<22} {result.status:<10} {ratio:>8} {threshold:>10}  {first_line}")


def _time(fn, *args, repeats: int = 20) -> float:
    times = []
    for _ in range(repeats):
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        begin.record()
        fn(*args)
        end.record()
        torch.cuda.synchronize()
        times.append(begin.elapsed_time(end))
    return statistics.median(times)


def against_torchvision() -> None:
    try:
        import torchvision
    except ImportError:
        print("torchvision not installed: skipping the comparison with its CUDA ops")
        return
    import reference

    generator = torch.Generator().manual_seed(0)

    def boxes(n):
        corners = torch.rand(n, 2, generator=generator) * 1000
        return torch.cat([corners, corners + 1 + torch.rand(n, 2, generator=generator) * 99], 1).cuda()

    a, b = boxes(4000), boxes(4000)
    ours, theirs = _time(reference.box_iou, a, b), _time(torchvision.ops.box_iou, a, b)
    print(f"box_iou 4000x4000: ours {ours:.3f} ms, torchvision {theirs:.3f} ms, ratio {ours / theirs:.2f}")
    b20k, scores = boxes(20000), torch.rand(20000, generator=generator).cuda()
    assert torch.equal(reference.nms(b20k, scores, 0.5).cpu(), torchvision.ops.nms(b20k, scores, 0.5).cpu())
    ours, theirs = _time(reference.nms, b20k, scores, 0.5), _time(torchvision.ops.nms, b20k, scores, 0.5)
    print(f"nms N=20000: ours {ours:.3f} ms, torchvision {theirs:.3f} ms, ratio {ours / theirs:.2f}")


if __name__ == "__main__":
    challenges_table()
    if torch.cuda.is_available():
        against_torchvision()
