"""Benchmark: CLIP's loss in tiles (reference/ops/clip_loss_chunked.py) against the naive loss
(reference/ops/clip_loss.py), forward + backward, for extra peak memory and time.

    python benchmarks/bench_clip_loss.py [--n 16384] [--d 512] [--chunk-size 1024] [--repeats 2]

Each variant runs in a fresh interpreter of its own (so neither inherits the other's allocator
caches or high-water mark). There, seeded float32 features (N, D) and logit_scale 1/0.07 are made,
a small warm-up call loads the kernels, the peak resident set is reset (writing "5" to
/proc/self/clear_refs resets VmHWM to the current VmRSS), and one timed forward + backward runs;
its extra peak memory is VmHWM after minus VmRSS before. Further repeats are timed only; the time
printed is the fastest. Both variants' loss and gradients are checked to agree. Each variant also
prints the CPU seconds of its fastest run and the 1-minute load average when it ends: on a machine
shared with other jobs, a process whose thread pool loses a core waits at every parallel op, and
the tiled loss runs many more (smaller) ops than the naive one, so its wall time suffers more.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _variant(name: str, n: int, d: int, chunk_size: int, repeats: int, out: str) -> None:
    import torch

    sys.path.insert(0, str(ROOT))
    if name == "naive":
        from reference.ops.clip_loss import clip_loss as fn
    else:
        from reference.ops.clip_loss_chunked import clip_loss as chunked

        def fn(image, text, scale):
            return chunked(image, text, scale, chunk_size)

    def step(image, text):
        image = image.detach().requires_grad_(True)
        text = text.detach().requires_grad_(True)
        loss = fn(image, text, 1 / 0.07)
        loss.backward()
        return loss.detach(), image.grad, text.grad

    generator = torch.Generator().manual_seed(0)
    step(torch.randn(64, d, generator=generator), torch.randn(64, d, generator=generator))  # warm-up
    image = torch.randn(n, d, generator=generator)
    text = torch.randn(n, d, generator=generator)
    times, cpu_times = [], []
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before_kb = _status_kb("VmRSS")
    for repeat in range(repeats):
        start, start_cpu = time.perf_counter(), _cpu_s()
        loss, grad_image, grad_text = step(image, text)
        times.append(time.perf_counter() - start)
        cpu_times.append(_cpu_s() - start_cpu)
        if repeat == 0:
            peak_kb = _status_kb("VmHWM")
            torch.save({"loss": loss, "grad_image": grad_image, "grad_text": grad_text}, out)
        del loss, grad_image, grad_text
    print(json.dumps({"extra_peak_mb": (peak_kb - before_kb) / 1024, "time_s": min(times), "times_s": times,
                      "cpu_s": cpu_times[times.index(min(times))], "load": os.getloadavg()[0],
                      "threads": torch.get_num_threads()}))


def run(name: str, args) -> dict:
    out = f"/tmp/bench_clip_loss_{name}.pt"
    command = [sys.executable, __file__, "--variant", name, "--n", str(args.n), "--d", str(args.d),
               "--chunk-size", str(args.chunk_size), "--repeats", str(args.repeats), "--out", out]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["out"] = out
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16384)
    parser.add_argument("--d", type=int, default=512)
    parser.add_argument("--chunk-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--variant", choices=["naive", "chunked"])
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.variant:
        _variant(args.variant, args.n, args.d, args.chunk_size, args.repeats, args.out)
        return
    import torch

    naive = run("naive", args)
    chunked = run("chunked", args)
    a, b = torch.load(naive["out"]), torch.load(chunked["out"])
    for key in ("loss", "grad_image", "grad_text"):
        error = ((a[key] - b[key]).norm() / a[key].norm()).item()
        assert error < 1e-4, f"{key} differs: relative error {error:.3g}"
    print(f"clip_loss forward+backward, N={args.n}, D={args.d}, float32, chunk_size={args.chunk_size}, "
          f"{naive['threads']} threads, each variant in a fresh process")
    for name, r in (("naive", naive), ("chunked", chunked)):
        print(f"  {name:8s} extra peak {r['extra_peak_mb']:9.1f} MB   time {r['time_s']:7.2f} s  "
              f"(runs: {', '.join(f'{t:.2f}' for t in r['times_s'])}; CPU {r['cpu_s']:.2f} s, load {r['load']:.1f})")
    print(f"  memory ratio chunked/naive {chunked['extra_peak_mb'] / naive['extra_peak_mb']:.4f}   "
          f"time ratio chunked/naive {chunked['time_s'] / naive['time_s']:.2f}")


if __name__ == "__main__":
    main()
