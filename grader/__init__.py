"""cv-grader: grades computer-vision interview exercises with property-based tests."""

from importlib import metadata

try:
    __version__ = metadata.version("cv-grader")  # one place for the version: pyproject.toml
except metadata.PackageNotFoundError:  # a checkout used without installing it
    __version__ = "0+unknown"
