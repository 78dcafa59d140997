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
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module = name if "." in name else f"grader.suites.{name}"
    return importlib.import_module(module).suite
