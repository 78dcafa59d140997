"""``grader bench --plot``: time against input size, solution and reference, log-log."""

from __future__ import annotations

from pathlib import Path


def plot_scaling(rows: list[dict], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    sizes = [row["size"] for row in rows]
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.loglog(sizes, [row["candidate_s"] * 1e3 for row in rows], "o-", label="your solution")
    axes.loglog(sizes, [row["reference_s"] * 1e3 for row in rows], "s--", label="reference")
    axes.set_xlabel("input size")
    axes.set_ylabel("median time (ms)")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
