"""Benchmark: the compiled kernels against torch implementations of torchvision's formulas.

    python benchmarks/bench_kernels.py [--repeats 7] [--iou-size 4000] [--nms-size 20000]

Inputs: seeded random boxes on a 1000x1000 canvas with sides 1..100, float32. box_iou: N x N
against the broadcast max/min/clamp formula (reference/ops/box_iou.py). nms: N boxes, random
scores, threshold 0.5, against torchvision's all-pairs greedy CPU algorithm written in torch
(each kept box against all later boxes). Outputs are checked to agree before timing; repeats of
the two sides are interleaved; medians, spread (min..max) and the ratio are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch

import reference
from reference.ops.box_iou import box_iou as torch_box_iou


def random_boxes(n: int, generator: torch.Generator) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=generator) * 1000
    wh = 1 + torch.rand(n, 2, generator=generator) * 99
    return torch.cat([xy, xy + wh], dim=1).contiguous()


def torch_nms_all_pairs(
    boxes: torch.Tensor, scores: torch.Tensor, threshold: float
) -> torch.Tensor:
    """torchvision's CPU algorithm in torch: visit boxes by descending score; each box still alive
    is kept and suppresses every later box whose IoU with it (torchvision's formula, computed
    against all later boxes at once) exceeds the threshold. O(N^2) work, O(N) memory."""
    order = torch.sort(scores, descending=True, stable=True).indices
    b = boxes[order]
    x1, y1, x2, y2 = b.unbind(1)
    area = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    n = b.shape[0]
    suppressed = torch.zeros(n, dtype=torch.bool)
    alive = suppressed.numpy()  # shares memory: cheap per-box test
    keep = []
    for i in range(n):
        if alive[i]:
            continue
        keep.append(i)
        w = (torch.minimum(x2[i], x2[i + 1:]) - torch.maximum(x1[i], x1[i + 1:])).clamp(min=0)
        h = (torch.minimum(y2[i], y2[i + 1:]) - torch.maximum(y1[i], y1[i + 1:])).clamp(min=0)
        inter = w * h
        union = area[i] + area[i + 1:] - inter
        iou = torch.where(union > 0, inter / torch.where(union > 0, union, 1), 0)
        suppressed[i + 1:] |= iou > threshold
    return order[torch.tensor(keep, dtype=torch.int64)]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(name: str, ours: Callable[[], object], theirs: Callable[[], object], repeats: int):
    ours(), theirs()  # warm-up (thread pools, page cache, dispatch)
    t_ours, t_theirs = [], []
    for _ in range(repeats):  # interleaved, so drift hits both sides alike
        t_theirs.append(timed(theirs))
        t_ours.append(timed(ours))
    return name, t_ours, t_theirs


def fmt(ts: list[float]) -> str:
    med = statistics.median(ts) * 1e3
    return f"{med:9.2f} ms  ({min(ts) * 1e3:.2f}..{max(ts) * 1e3:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per side (default 7)")
    parser.add_argument("--iou-size", type=int, default=4000, help="N for box_iou N x N")
    parser.add_argument("--nms-size", type=int, default=20000, help="boxes for nms")
    parser.add_argument("--threshold", type=float, default=0.5, help="nms IoU threshold")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    info = reference.build_info()
    if not info["extension_built"]:
        raise SystemExit(
            f"reference._C is not built ({info['import_error']}); run bash scripts/setup.sh"
        )
    g = torch.Generator().manual_seed(args.seed)

    a, b = random_boxes(args.iou_size, g), random_boxes(args.iou_size, g)
    got, want = reference.box_iou(a, b), torch_box_iou(a, b)
    max_err = (got - want).abs().max().item() if got.numel() else 0.0
    assert max_err <= 1e-6, f"box_iou disagrees with the torch formula: max error {max_err}"

    boxes, scores = random_boxes(args.nms_size, g), torch.rand(args.nms_size, generator=g)
    kept = reference.nms(boxes, scores, args.threshold)
    assert torch.equal(kept, torch_nms_all_pairs(boxes, scores, args.threshold)), "nms disagrees"

    results = [
        compare(f"box_iou {args.iou_size}x{args.iou_size} float32",
                lambda: reference.box_iou(a, b), lambda: torch_box_iou(a, b), args.repeats),
        compare(f"nms N={args.nms_size} t={args.threshold} float32 ({kept.numel()} kept)",
                lambda: reference.nms(boxes, scores, args.threshold),
                lambda: torch_nms_all_pairs(boxes, scores, args.threshold), args.repeats),
    ]

    header = (f"torch {torch.__version__}, {torch.get_num_threads()} torch threads, "
              f"{info['openmp_threads']} OpenMP threads, cuda_built={info['cuda_built']}, "
              f"median of {args.repeats} (min..max); outputs checked equal first")
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="cv-grader kernels vs torch (torchvision formulas)", caption=header)
        for col in ("op", "C++ kernel", "torch", "speed-up"):
            table.add_column(col, justify="left" if col == "op" else "right")
        for name, t_ours, t_theirs in results:
            ratio = statistics.median(t_theirs) / statistics.median(t_ours)
            table.add_row(name, fmt(t_ours), fmt(t_theirs), f"{ratio:.1f}x")
        Console().print(table)
    except ImportError:
        print(header)
        for name, t_ours, t_theirs in results:
            ratio = statistics.median(t_theirs) / statistics.median(t_ours)
            print(f"{name:45s} C++ {fmt(t_ours)}  torch {fmt(t_theirs)}  {ratio:6.1f}x")


if __name__ == "__main__":
    main()
