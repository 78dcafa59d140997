"""cv-grader: grades computer-vision interview exercises with property-based tests."""

__version__ = "0.1.0"
