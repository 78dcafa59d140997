"""Property suites, one per op; every track of an op is graded by the same suite.

They ship with the grader, so an installed grader needs nothing from the project's ``tests/``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def load(root: Path | str, name: str):
    """The ``Suite`` of ``name``: ``grader.suites.<name>`` for a challenge.toml's plain name; a
    dotted name is a module under the project root (the project's tests use it to grade with a
    deliberately broken suite, which the catalog never allows)."""
    if "." not in name:
        # Never the root on sys.path for these: a checkout's reference/ (no compiled kernels in it)
        # would then shadow the installed package the suite's `from reference...` must import.
        return importlib.import_module(f"grader.suites.{name}").suite
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(name).suite
