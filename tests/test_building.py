"""Compiled tracks: compile errors point into the candidate's file, builds are cached, CUDA
challenges compile here and are skipped only for want of a GPU."""

import shutil
from pathlib import Path

import pytest

from grader.availability import gpu_present
from grader.building import BuildError, build
from grader.catalog import load_catalog
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "building"
CATALOG = {c.id: c for c in load_catalog(ROOT)}
needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found")


def test_compile_error_names_the_candidates_file_and_line():
    result = grade_challenge(CATALOG["box_iou_cpp"], ROOT, FIXTURES / "syntax_error.cpp")
    assert result.status == "error"
    first = result.message.splitlines()[1]
    assert first.startswith(str(FIXTURES / "syntax_error.cpp") + ":6:"), result.message


def test_unchanged_solution_is_not_rebuilt(tmp_path):
    solution = tmp_path / "mine.cpp"
    shutil.copyfile(ROOT / "reference" / "kernels" / "box_iou_cpp.cpp", solution)
    module = build(ROOT, CATALOG["box_iou_cpp"], solution)
    stamp = module.stat().st_mtime_ns
    assert build(ROOT, CATALOG["box_iou_cpp"], solution).stat().st_mtime_ns == stamp
    solution.write_text(solution.read_text() + "\n// edited\n")
    assert build(ROOT, CATALOG["box_iou_cpp"], solution).stat().st_mtime_ns != stamp


def test_stub_compiles_and_reads_not_started():
    result = grade_challenge(CATALOG["box_iou_cpp"], ROOT, CATALOG["box_iou_cpp"].stub_path)
    assert result.status == "not_started", result.message


@needs_nvcc
def test_cuda_compile_error_is_reported():
    result = grade_challenge(CATALOG["box_iou_cuda"], ROOT, FIXTURES / "syntax_error.cu")
    assert result.status == "error"
    assert "syntax_error.cu" in result.message.splitlines()[1], result.message


@needs_nvcc
@pytest.mark.skipif(gpu_present(), reason="checks the no-GPU verdict")
def test_cuda_solution_compiles_then_skips_without_gpu():
    result = grade_challenge(CATALOG["box_iou_cuda"], ROOT, ROOT / "reference" / "kernels" / "box_iou_cuda.cu")
    assert result.status == "skipped" and "no GPU" in result.message


def test_build_error_when_harness_missing(tmp_path):
    broken = CATALOG["box_iou_cpp"].__class__(**{**CATALOG["box_iou_cpp"].__dict__, "folder": tmp_path})
    with pytest.raises(BuildError):
        build(ROOT, broken, ROOT / "reference" / "kernels" / "box_iou_cpp.cpp")


def test_replaying_speed_runs_the_properties_then_the_measurement():
    """A failed speed test's replay command says --only speed; it must measure, not refuse."""
    result = grade_challenge(CATALOG["box_iou_cpp"], ROOT, ROOT / "reference" / "kernels" / "box_iou_cpp.cpp",
                             only=["speed"], seed=1)
    names = [t.name for t in result.tests]
    assert result.status == "passed" and names[-1] == "speed" and "matches_reference" in names, names
