"""Gradescope's autograder: ``grader gradescope-bundle`` writes the zip an instructor uploads, and
``grader gradescope-run`` is what its ``run_autograder`` runs for each submission.

The zip (https://gradescope-autograders.readthedocs.io/en/latest/specs/) holds, at its root:

- ``setup.sh``: run once, as root, when Gradescope builds the image. It installs the compilers the
  C++ tracks need (apt), a virtual environment with CPU torch pinned to this machine's version
  (installed first, so the grader's unpinned torch requirement cannot pull a CUDA build), CMake
  (the tracks need 3.24 or newer), and this exact version of cv-grader from the wheel in the zip;
- ``run_autograder``: for each submission, grades it and writes ``results/results.json``;
- ``cvg-bundle.json``: what was asked at bundle time (challenges, profile, replays hidden or not);
- ``tree/``: every file ``grader/manifest.json`` records (the challenges catalog with its stubs and
  mutants, the grader, the references, the tests) with the manifest and the statements, but no
  ``solution.*`` file. The grade is checked against that manifest, so it is official only when the
  installed grader and the tree are exactly what was bundled (and the sandbox confines).

A run copies the tree to a fresh folder, takes only ``challenges/<id>/solution.*`` from
``/autograder/submission`` (symbolic links and every other file ignored: ``grader.forks``, as for
``grade-fork``) and runs ``grader check --ci`` there (``grader.forks.check_in``): a fresh seed,
the sandbox, the manifest verified before and after. ``CVG_AUTOGRADER_ROOT`` moves ``/autograder``
(for tests), ``CVG_PYTHON`` names the Python that has the grader (default: the one setup.sh made).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader import __version__, forks, manifest
from grader.catalog import Challenge, load_catalog, select
from grader.classroom import gradable_on_hosted_runners
from grader.exports import CI_FILES

AUTOGRADER_ENV = "CVG_AUTOGRADER_ROOT"
DEFAULT_AUTOGRADER = "/autograder"
PYTHON_ENV = "CVG_PYTHON"
CONFIG = "cvg-bundle.json"
TREE = "tree"
VENV = "cvg-venv"  # under the autograder root: made by setup.sh, used by run_autograder
PROFILES = ("ci", "thorough")  # an official grade searches at least as hard as the ci profile
PROJECT = "cv_grader"  # the distribution's name as a wheel file spells it


class BundleError(Exception):
    """The bundle cannot be written as asked."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    ids: list[str]
    profile: str
    hide_replay: bool
    wheel: str
    torch: str
    files: int
    warnings: list[str]
    worst_case_s: float  # a submission that runs out every limit, graded on one CPU


def worst_case_s(challenges: list[Challenge], profile: str) -> float:
    """How long one submission can take: every challenge to its time limit, every compiled track to
    its build limit as well. Gradescope stops ``run_autograder`` at the assignment's timeout, and a
    run it stops writes no results at all, so the timeout must be longer than this."""
    from grader.building import BUILD_TIMEOUT_S
    from grader.profiles import TIME_SCALE

    compiled = sum(c.track in ("cpp", "cuda") for c in challenges)
    return sum(c.time_limit_s for c in challenges) * TIME_SCALE[profile] + compiled * BUILD_TIMEOUT_S


def autograder_root() -> Path:
    return Path(os.environ.get(AUTOGRADER_ENV) or DEFAULT_AUTOGRADER)


def torch_version() -> str:
    """The installed torch's version without its local part (2.13.0+cpu -> 2.13.0)."""
    from importlib import metadata

    try:
        return metadata.version("torch").split("+", 1)[0]
    except metadata.PackageNotFoundError:
        raise BundleError("torch is not installed here; the bundle pins the torch version it was built with") from None


def chosen(catalog: list[Challenge], ids: list[str] | None) -> list[Challenge]:
    """The named challenges, or every one that needs no GPU (Gradescope's machines have none, and a
    skipped challenge earns nothing)."""
    return select(catalog, ids) if ids else gradable_on_hosted_runners(catalog)


def tree_files(root: Path) -> list[str]:
    """What the bundle's tree holds: every file the manifest records (the grade is checked against
    it), the manifest itself, the statements and the README (``pyproject.toml`` names it, so
    setup.sh can build from the tree); never a candidate's ``solution.*``."""
    recorded = [p for p, digest in manifest.compute(root).items() if not digest.startswith(manifest.LINK_PREFIX)]
    extra = [manifest.MANIFEST.as_posix(), "README.md",
             *(p.relative_to(root).as_posix() for p in sorted((root / "challenges").glob(f"*/{manifest.STATEMENT}")))]
    files = sorted({p for p in [*recorded, *extra] if (root / p).is_file() and not (root / p).is_symlink()})
    return [p for p in files if not manifest.is_candidate_file(p)]


def build_wheel(root: Path, folder: Path) -> Path:
    """``pip wheel`` of the checkout at ``root`` (compiles the C++ reference kernels: about a minute).
    Without the CUDA kernels: Gradescope's machines have no GPU, and nvcc would spend minutes on
    kernels no submission runs there."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps", "--quiet", "-w", str(folder)],
                          capture_output=True, text=True, env={**os.environ, "CVG_CUDA": "OFF"})
    wheels = sorted(folder.glob(f"{PROJECT}-{__version__}-*.whl"))
    if done.returncode != 0 or not wheels:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BundleError(f"could not build the cv-grader wheel (pip wheel {root}):\n{tail}")
    return wheels[0]


def check_wheel(wheel: Path) -> None:
    if not re.fullmatch(rf"{PROJECT}-{re.escape(__version__)}-[^/]+\.whl", wheel.name):
        raise BundleError(f"--wheel {wheel}: expected a wheel of this very version, named {PROJECT}-{__version__}-*.whl")
    if not wheel.is_file():
        raise BundleError(f"--wheel {wheel}: no such file; expected a wheel built from this checkout (pip wheel . --no-deps)")
    if not zipfile.is_zipfile(wheel):
        raise BundleError(f"--wheel {wheel}: not a wheel (a wheel is a zip file)")


def check_out_path(out: Path) -> None:
    if out.suffix != ".zip":
        raise BundleError(f"{out}: expected a path ending in .zip (Gradescope takes the autograder as a zip file)")
    if out.is_dir():
        raise BundleError(f"{out} is a folder; expected the path of the zip file to write")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise BundleError(f"{parent} does not exist; expected OUT.zip in an existing, writable folder")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise BundleError(f"cannot write {out}: expected OUT.zip in a folder you can write to")


def setup_script(config: dict) -> str:
    wheel = shlex.quote(config["wheel"])
    torch = shlex.quote(f"torch=={config['torch']}")
    version = config["grader_version"]
    return f"""#!/usr/bin/env bash
# Made by `grader gradescope-bundle` (cv-grader {version}). Gradescope runs it once, as root, while it
# builds the autograder image: it installs cv-grader {version} exactly, from the wheel beside it.
set -euo pipefail
ROOT="${{{AUTOGRADER_ENV}:-{DEFAULT_AUTOGRADER}}}"
SOURCE="$ROOT/source"
VENV="$ROOT/{VENV}"

export DEBIAN_FRONTEND=noninteractive
apt-get update
# The C++ tracks compile the student's file (g++, make; cmake >= 3.24 comes from pip below).
apt-get install -y --no-install-recommends python3 python3-dev python3-pip python3-venv cmake g++ make
python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --upgrade pip
# CPU torch first, pinned: the grader's own torch requirement is unpinned and would pull a CUDA build.
"$PY" -m pip install {torch} --index-url https://download.pytorch.org/whl/cpu
"$PY" -m pip install "cmake>=3.24"
if ! "$PY" -m pip install "$SOURCE/"{wheel}"[numba]"; then
  # The wheel holds the compiled reference kernels for the Python it was built with
  # (Python {config['python']}); with another python3 here, build the same version from the same files.
  echo "setup.sh: the wheel does not fit this image's $("$PY" --version); building cv-grader {version} from the bundled sources"
  "$PY" -m pip install "$SOURCE/{TREE}[numba]"
fi
"$PY" - <<'PY'
import grader
import reference

assert grader.__version__ == "{version}", f"installed cv-grader {{grader.__version__}}, expected {version}"
info = reference.build_info()
print(f"setup.sh: cv-grader {{grader.__version__}} installed; C++ reference kernels built: {{info['extension_built']}}")
PY
"""


def run_script() -> str:
    return f"""#!/usr/bin/env bash
# Made by `grader gradescope-bundle`. Gradescope runs it for each submission (files in
# $ROOT/submission); it writes $ROOT/results/results.json. {AUTOGRADER_ENV} moves the root (default
# {DEFAULT_AUTOGRADER}); {PYTHON_ENV} names a Python that has cv-grader installed (default: setup.sh's).
set -uo pipefail
ROOT="${{{AUTOGRADER_ENV}:-{DEFAULT_AUTOGRADER}}}"
PY="${{{PYTHON_ENV}:-$ROOT/{VENV}/bin/python}}"
export PATH="$(dirname "$PY"):$PATH"
# Never from a folder holding a grader/ package: the installed grader is the one that grades.
cd "$ROOT"
exec "$PY" -m grader gradescope-run --autograder-root "$ROOT"
"""


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(root: Path, out: Path, ids: list[str] | None = None, *, profile: str = "ci", hide_replay: bool = False,
          wheel: Path | None = None, echo=print) -> Bundle:
    """Write the autograder zip for the challenges ``ids`` (default: every one without a GPU) of the
    checkout at ``root``. ``wheel``: a wheel of this version already built (else one is built)."""
    check_out_path(out)
    if profile not in PROFILES:
        raise BundleError(f"unknown profile {profile!r} for official grading; expected one of {', '.join(PROFILES)}")
    challenges = chosen(load_catalog(root), ids)
    if not challenges:
        raise BundleError("no challenge to grade; expected at least one challenge id")
    if wheel is not None:
        check_wheel(wheel)
    torch = torch_version()
    warnings = []
    stale = manifest.verify(root)
    if stale:
        warnings.append(f"{stale}: every Gradescope grade would read unofficial; run `grader manifest --write` "
                        "in a clean checkout first")
    files = tree_files(root)
    with tempfile.TemporaryDirectory(prefix="cvg-wheel-") as tmp:
        if wheel is None:
            echo("building the cv-grader wheel (compiles the C++ reference kernels; about a minute)")
            wheel = build_wheel(root, Path(tmp))
        config = {"grader_version": __version__, "ids": [c.id for c in challenges], "profile": profile,
                  "hide_replay": hide_replay, "wheel": wheel.name, "torch": torch,
                  "python": f"{sys.version_info.major}.{sys.version_info.minor}"}
        partial = out.with_name(f".{out.name}.partial")
        try:
            with zipfile.ZipFile(partial, "w") as archive:
                _add(archive, "setup.sh", setup_script(config).encode(), 0o755)
                _add(archive, "run_autograder", run_script().encode(), 0o755)
                _add(archive, CONFIG, (json.dumps(config, indent=2) + "\n").encode())
                _add(archive, wheel.name, wheel.read_bytes())
                for relative in files:
                    _add(archive, f"{TREE}/{relative}", (root / relative).read_bytes())
            os.replace(partial, out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise BundleError(f"cannot write {out}: {exc.strerror or exc}; expected a writable path ending in .zip") from None
    return Bundle(out, config["ids"], profile, hide_replay, config["wheel"], torch, len(files), warnings,
                  worst_case_s(challenges, profile))


# --- the run, for each submission -----------------------------------------------------------------------


def _fallback(results: Path, config: dict, why: str, started: float) -> None:
    """A results.json when grading itself failed: zero points, and the reason, rather than nothing."""
    data = {"score": 0, "execution_time": round(time.monotonic() - started), "output_format": "text",
            "output": f"The autograder could not grade this submission: {why}. This is not your code's verdict; "
                      "tell your instructor.",
            "visibility": "visible", "stdout_visibility": "hidden",
            "extra_data": {"grader_version": __version__, "official": False, "error": why,
                           "challenges": config.get("ids", [])},
            "tests": []}
    results.mkdir(parents=True, exist_ok=True)
    (results / "results.json").write_text(json.dumps(data, indent=2) + "\n")


def submitted_checkout(submission: Path) -> Path:
    """Where the submission's ``challenges/`` is: the submission itself (a GitHub upload, or a zip of
    the repository's files), or its only folder (a zip of the repository's folder). Links are never
    followed to find it."""
    if os.path.lexists(submission / "challenges") or not submission.is_dir():
        return submission
    # macOS's Finder adds __MACOSX/ to a zip of a folder; hidden folders are tools' (.git).
    folders = [p for p in submission.iterdir()
               if p.is_dir() and not p.is_symlink() and p.name != "__MACOSX" and not p.name.startswith(".")]
    if len(folders) == 1 and (folders[0] / "challenges").is_dir() and not (folders[0] / "challenges").is_symlink():
        return folders[0]
    return submission


def run(autograder: Path, echo=print) -> int:
    """Grade ``autograder/submission`` with the bundle in ``autograder/source``; always writes
    ``autograder/results/results.json``. The exit status is 0 when results were written (failing
    challenges included: Gradescope reads the verdict from the file)."""
    started = time.monotonic()
    source = autograder / "source"
    results = autograder / "results"
    try:
        config = json.loads((source / CONFIG).read_text())
    except (OSError, ValueError) as exc:
        _fallback(results, {}, f"{source / CONFIG} is missing or unreadable ({exc})", started)
        return 1
    submission = submitted_checkout(autograder / "submission")
    with tempfile.TemporaryDirectory(prefix="cvg-gradescope-") as tmp:
        target = Path(tmp) / "tree"
        shutil.copytree(source / TREE, target, symlinks=True)
        copied, ignored = forks.copy_solutions(submission, target)
        notes = [f"graded with the cv-grader {config['grader_version']} Gradescope bundle"]
        if not copied:
            notes.append(f"no solution file found: submit your repository (or a zip of it) with "
                         f"challenges/<id>/solution.<ext> for {', '.join(config['ids'])}")
        if ignored:
            notes.append(f"not graded: {forks.names(ignored)}")
        echo(f"grading {len(copied)} solution file(s): {', '.join(copied) or 'none'}")
        scratch = Path(tmp) / "results"
        options = [f"--profile={config['profile']}"] + (["--gradescope-hide-replay"] if config.get("hide_replay") else [])
        code = forks.check_in(target, scratch, ids=config["ids"], tracks=[], notes=notes, options=options)
        written = scratch / CI_FILES["gradescope"]
        if not written.is_file():
            _fallback(results, config, f"grader check stopped with exit status {code} before writing results", started)
            return 1
        data = json.loads(written.read_text())
        data["execution_time"] = round(time.monotonic() - started)
        results.mkdir(parents=True, exist_ok=True)
        (results / "results.json").write_text(json.dumps(data, indent=2) + "\n")
        # The full record too, for an instructor who downloads the results folder.
        shutil.copyfile(scratch / CI_FILES["json"], results / CI_FILES["json"])
    echo(f"score {data['score']} of {data.get('max_score', '?')}; wrote {results / 'results.json'}")
    return 0
