"""Compiling C++ and CUDA solutions with the project's CMake toolchain.

A candidate writes only the kernel; the challenge's ``harness.cpp`` / ``harness.cu`` holds the
bindings and the launch and ``#include``s the candidate's file. Builds are cached per challenge
and solution path under ``.grader/build``: nothing is recompiled when nothing changed. Compiler
errors are reported in the candidate's file, first error first.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

from grader.catalog import Challenge

TEMPLATES = Path(__file__).parent / "templates"
ERROR_LINE = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+)(?::(?P<col>\d+))?:\s*(?:fatal )?error:?\s*(?P<msg>.*)$")
NVCC_ERROR = re.compile(r"^(?P<file>[^(\s]+)\((?P<line>\d+)\): error:?\s*(?P<msg>.*)$")
MAX_ERRORS = 8
BUILD_TIMEOUT_S = 600


class BuildError(Exception):
    pass


def harness_path(challenge: Challenge) -> Path:
    return challenge.folder / ("harness.cu" if challenge.track == "cuda" else "harness.cpp")


def module_name(challenge: Challenge) -> str:
    return f"cvg_{challenge.id}"


def _build_dir(root: Path, challenge: Challenge, solution: Path) -> Path:
    key = hashlib.sha1(f"{solution.resolve()}\n{harness_path(challenge)}".encode()).hexdigest()[:12]
    return root / ".grader" / "build" / challenge.id / key


def compiler_errors(output: str, solution: Path) -> str:
    """The compiler's errors, those in the candidate's file first, each as file:line: message."""
    errors = []
    for line in output.splitlines():
        match = ERROR_LINE.match(line.strip()) or NVCC_ERROR.match(line.strip())
        if match:
            errors.append((Path(match["file"]).name != solution.name, f"{match['file']}:{match['line']}: error: {match['msg']}"))
    if not errors:
        tail = "\n".join(output.strip().splitlines()[-15:])
        return f"the build failed:\n{tail}"
    ordered = [text for _, text in sorted(errors, key=lambda e: e[0])]
    shown = list(dict.fromkeys(ordered))[:MAX_ERRORS]
    more = len(ordered) - len(shown)
    return "compile error:\n" + "\n".join(shown) + (f"\n... and {more} more" if more > 0 else "")


def _cuda_architectures(challenge: Challenge) -> list[str]:
    """The GPU in this machine; without one the code only needs to compile, so PTX for one
    architecture catches every compile error at a quarter of the build time."""
    if challenge.track != "cuda":
        return []
    from grader.availability import gpu_present

    return [f"-DCMAKE_CUDA_ARCHITECTURES={'native' if gpu_present() else '90-virtual'}"]


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)


def build(root: Path, challenge: Challenge, solution: Path) -> Path:
    """Compile ``solution`` into the challenge's extension module; returns the module's path."""
    if shutil.which("cmake") is None:
        raise BuildError("cmake not found: compiled tracks need CMake (pip install cmake)")
    import pybind11

    if not harness_path(challenge).is_file():
        raise BuildError(f"{challenge.id} has no {harness_path(challenge).name}: the challenge is incomplete")
    solution = solution.resolve()
    build_dir = _build_dir(root, challenge, solution)
    build_dir.mkdir(parents=True, exist_ok=True)
    name = module_name(challenge)
    if not (build_dir / "CMakeCache.txt").exists():
        configure = _run(
            [
                "cmake", "-S", str(TEMPLATES), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                f"-DPython_EXECUTABLE={sys.executable}", f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
                f"-DCVG_MODULE={name}", f"-DCVG_HARNESS={harness_path(challenge)}", f"-DCVG_SOLUTION={solution}",
                f"-DCVG_INCLUDE={TEMPLATES}", f"-DCVG_WITH_CUDA={'ON' if challenge.track == 'cuda' else 'OFF'}",
                *_cuda_architectures(challenge),
            ],
            build_dir,
        )
        if configure.returncode != 0:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise BuildError("configuring the build failed:\n" + "\n".join((configure.stdout + configure.stderr).splitlines()[-15:]))
    compiled = _run(["cmake", "--build", str(build_dir)], build_dir)
    if compiled.returncode != 0:
        raise BuildError(compiler_errors(compiled.stdout + compiled.stderr, solution))
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    found = [p for p in build_dir.glob(f"{name}*") if any(str(p).endswith(s) for s in suffixes)]
    if not found:
        raise BuildError(f"the build produced no {name} module in {build_dir}")
    return found[0]


def load_compiled(job: dict) -> dict:
    """Import the built module in the worker and return the functions the challenge exposes."""
    path = Path(job["module"])
    spec = importlib.util.spec_from_file_location(path.name.split(".")[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, name) for name in job["exports"]}
