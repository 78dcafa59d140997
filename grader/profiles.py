"""Hypothesis profiles: how hard each run searches for a counterexample."""

from __future__ import annotations

PROFILES = {
    # A few seconds per challenge on a laptop: the default while working.
    "quick": {"max_examples": 25, "derandomize": False},
    # What CI and official grading use: more examples, same examples every run unless seeded.
    "ci": {"max_examples": 100, "derandomize": True},
    # Before an interview: a long search.
    "thorough": {"max_examples": 600, "derandomize": False},
}
# Time limits in the metadata are for the quick profile; longer searches get proportionally more.
TIME_SCALE = {"quick": 1.0, "ci": 2.0, "thorough": 10.0}


def hypothesis_settings(profile: str, seeded: bool, health_checks: bool = False, shrink: bool = True):
    """``health_checks``: on when the project validates its own suites, so that a slow or
    over-filtered strategy is reported to its author; off for candidates, who cannot fix one.
    ``shrink``: off when only the verdict matters (a known-wrong solution must fail; the smallest
    input that shows it is for a candidate to read)."""
    from hypothesis import HealthCheck, Phase, settings

    options = dict(PROFILES[profile])
    if seeded:
        options["derandomize"] = False
    return settings(
        **options,
        deadline=None,  # a first call may JIT-compile; the wall-clock limit guards against hangs
        database=None,  # replays come from the seed alone, never from a local cache
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=[] if health_checks else list(HealthCheck),
        phases=[Phase.explicit, Phase.reuse, Phase.generate, *([Phase.shrink] if shrink else [])],
    )
