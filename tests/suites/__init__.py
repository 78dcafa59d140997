"""Property suites, one per op; every track of an op is graded by the same suite."""
