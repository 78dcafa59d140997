#!/usr/bin/env bash
# The grader as a user gets it from a wheel, outside any checkout: build the wheel, install it (not
# editable) into a fresh venv, and from a folder holding only a copy of challenges/ run
# `grader list` and `grader check` on one Python and one C++ challenge with their example
# solutions, then `grader grade-fork` on the C++ one. What this proves is the packaging: that the
# wheel carries everything the grader reads at run time (the suites, grader/templates/ for
# compiling C++ solutions, the reference kernels), that nothing in the grader reaches back into a
# checkout, and that a checkout beside the installed grader does not shadow it. Run after
# scripts/setup.sh.
#
#   bash scripts/wheel_check.sh
#
# The wheel is built with CVG_CUDA=OFF: this check is about packaging, not CUDA, and nvcc would
# take minutes to compile kernels no one runs here (scripts/gpu_check.sh covers them). It is built
# without build isolation in build/wheel-check/ (a venv holding scikit-build-core, and the CMake
# build folder), kept between runs so a second run only relinks; the editable install's
# build/<wheel tag>/ is never touched. The test venv and the challenges' copy are fresh each run.
#
# Cost on the 2-core machine, measured while another test run kept its load at 5 to 8: a fresh
# clone 143 s wall, 45 s CPU (the wheel's build 62 s wall of it); a second run 92 to 99 s wall,
# 22 s CPU (the build 2 to 4 s). Most of the wall time is grading (grade-fork uses the ci profile)
# waiting on the loaded CPUs (not measured on an idle machine).
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOUT=$(pwd)
PYTHON=${PYTHON:-python3}
STATE="$CHECKOUT/build/wheel-check"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cvg-wheel-check.XXXXXX")
# CVG_WHEEL_CHECK_KEEP=1 keeps the venv, the copy and the grader's output for a look afterwards.
if [ -n "${CVG_WHEEL_CHECK_KEEP:-}" ]; then echo "wheel-check: keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
started=$SECONDS
say() { echo "wheel-check: [$((SECONDS - started)) s] $*"; }
fail() { echo "wheel-check: FAILED: $*" >&2; exit 1; }

# --- build -----------------------------------------------------------------------------------------
# pip's build isolation would install scikit-build-core and pybind11 into a new temporary
# environment on every run, and CMake would then rebuild from scratch (the cached paths change);
# a kept build venv and build folder make a second run take seconds. pybind11 is the system's
# (a dependency of the project), named to CMake directly because it is not in the build venv.
if ! "$STATE/build-venv/bin/python" -c "import scikit_build_core" 2>/dev/null; then
  rm -rf "$STATE/build-venv"
  "$PYTHON" -m venv --without-pip --system-site-packages "$STATE/build-venv"
  "$PYTHON" -m pip --python "$STATE/build-venv/bin/python" install -q "scikit-build-core>=0.10"
fi
CVG_CUDA=OFF "$PYTHON" -m pip --python "$STATE/build-venv/bin/python" wheel -q --no-deps --no-build-isolation \
  -w "$WORK/dist" -Cbuild-dir="$STATE/{wheel_tag}" \
  -Ccmake.define.pybind11_DIR="$("$PYTHON" -m pybind11 --cmakedir)" .
WHEEL=$(ls "$WORK"/dist/cv_grader-*.whl)
say "built $(basename "$WHEEL")"

# What the grader reads at run time must be in the wheel: the C++ track's CMake template and header,
# the build jail's launcher, the manifest, the suites, the references and the compiled kernels.
"$PYTHON" - "$WHEEL" <<'PY'
import sys, zipfile

names = set(zipfile.ZipFile(sys.argv[1]).namelist())
needed = ["grader/templates/CMakeLists.txt", "grader/templates/cvg_kernel.h", "grader/templates/cvg_python.h",
          "grader/confined_exec.py",
          "grader/manifest.json", "grader/suites/box_iou.py", "reference/ops/box_iou.py", "reference/compiled.py"]
missing = [n for n in needed if n not in names]
if not any(n.startswith("reference/_C.") and n.endswith(".so") for n in names):
    missing.append("reference/_C.*.so (the compiled reference kernels)")
if missing:
    sys.exit(f"wheel-check: FAILED: the wheel lacks {', '.join(missing)}")
PY

# --- a fresh venv with the wheel -------------------------------------------------------------------
# Not --system-site-packages: that also runs the system's .pth hooks, and the editable install's
# hook (scripts/setup.sh's `pip install -e .`) puts its import finder first on sys.meta_path, so
# `import grader` in the venv would still load the checkout. Instead a .pth names the system's
# site-packages folders as plain paths, after the venv's own: torch, numba and hypothesis come from
# there (nothing downloads), no hook of theirs runs, and the venv's grader and reference come first.
VENV="$WORK/venv"
"$PYTHON" -m venv --without-pip "$VENV"
VENV_SITE=$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
"$PYTHON" -c "import os, sys
print('\n'.join(dict.fromkeys(p for p in sys.path if os.path.basename(p) in ('site-packages', 'dist-packages') and os.path.isdir(p))))" \
  > "$VENV_SITE/_cvg_system_site.pth"
# (pip's --python, pip 22.3 or later, installs into the venv that has no pip of its own.)
# --no-index: every dependency must already be installed; a missing one fails here instead of
# pulling a multi-GB CUDA torch.
"$PYTHON" -m pip --python "$VENV/bin/python" install -q --no-index --no-cache-dir "$WHEEL"
say "installed it in a fresh venv"

# A folder with nothing of the checkout but challenges/, and the two examples as the solutions.
ROOT="$WORK/root"
mkdir -p "$ROOT"
cp -r challenges "$ROOT/"
rm -f "$ROOT"/challenges/*/solution.*
cp reference/ops/box_iou.py "$ROOT/challenges/box_iou/solution.py"
cp reference/examples/box_iou_cpp.cpp "$ROOT/challenges/box_iou_cpp/solution.cpp"
grep -q '^example = "reference/ops/box_iou.py"' challenges/box_iou/challenge.toml || fail "box_iou's example moved"
grep -q '^example = "reference/examples/box_iou_cpp.cpp"' challenges/box_iou_cpp/challenge.toml || fail "box_iou_cpp's example moved"
cd "$ROOT"
export PATH="$VENV/bin:$PATH"
[ "$(command -v grader)" = "$VENV/bin/grader" ] || fail "grader on PATH is $(command -v grader), not the venv's"

# The venv's own packages, not the checkout's nor the editable install's; the reference kernels load.
origin=$(python - "$VENV_SITE" <<'PY'
import os, sys
import grader, reference

site = os.path.realpath(sys.argv[1])
for module in (grader, reference):
    where = os.path.realpath(module.__file__)
    if not where.startswith(site + os.sep):
        sys.exit(f"wheel-check: FAILED: {module.__name__} is imported from {where}, not from the venv's {site}")
info = reference.build_info()
if not info["extension_built"]:
    sys.exit(f"wheel-check: FAILED: the wheel's reference kernels do not load: {info['import_error']}")
print(f"grader and reference from {site}; reference kernels load "
      f"(OpenMP {'on' if info['openmp'] else 'off'}, CUDA {'built' if info['cuda_built'] else 'not built'})")
PY
)
say "$origin"

# --- the grader, installed -------------------------------------------------------------------------
status=0
CV_GRADER_ROOT="$ROOT" grader list > "$WORK/list.txt" 2>&1 || status=$?
[ "$status" -eq 0 ] || { cat "$WORK/list.txt"; fail "grader list exited with $status"; }
for id in box_iou box_iou_cpp; do
  grep -qw "$id" "$WORK/list.txt" || { cat "$WORK/list.txt"; fail "grader list does not name $id"; }
done

# verdicts RESULTS IDS...: every named challenge passed, and (with OFFICIAL=yes) the run is
# official. Read from the --json results, not from the terminal's table.
verdicts() {
  python - "$@" "${OFFICIAL:-no}" <<'PY' || { cat "$WORK/check.txt"; exit 1; }
import json, sys

path, ids, official = sys.argv[1], sys.argv[2:-1], sys.argv[-1] == "yes"
run = json.load(open(path))
results = {r["id"]: r for r in run["challenges"]}
bad = [f"{cid}: {results.get(cid, {}).get('status', 'not graded')}" for cid in ids
       if results.get(cid, {}).get("status") != "passed"]
if official and not run["official"]:
    bad.append(f"the run is not official: {run['unofficial_reason']} (a stale manifest: `grader manifest --write`)")
if bad:
    sys.exit(f"wheel-check: FAILED: {' '.join(ids)}: {'; '.join(bad)}")
PY
}

status=0
CV_GRADER_ROOT="$ROOT" grader check box_iou box_iou_cpp --json "$WORK/results.json" > "$WORK/check.txt" 2>&1 || status=$?
[ "$status" -eq 0 ] || { cat "$WORK/check.txt"; fail "grader check box_iou box_iou_cpp exited with $status"; }
verdicts "$WORK/results.json" box_iou box_iou_cpp
say "grader list, and grader check box_iou box_iou_cpp, pass with only challenges/ at hand"

# As CI grades a candidate from the wheel (`grader grade-fork`): the upstream's clone beside the
# installed packages. This catches a checkout's reference/ (no compiled kernels in it) shadowing the
# installed one, which fails box_iou_cpp's speed test; and the run is official only when the
# installed grader and reference match the clone's grader/manifest.json file for file, so a file
# the wheel drops or adds fails here. The upstream is a one-commit repository of the working tree
# (tracked and untracked files, what the wheel was built from); the fork is that same folder with
# the example as the solution.
UPSTREAM="$WORK/upstream"
mkdir -p "$UPSTREAM"
(cd "$CHECKOUT" && git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf -) \
  | tar -xf - -C "$UPSTREAM"
rm -f "$UPSTREAM"/challenges/*/solution.*
git -C "$UPSTREAM" init -q
git -C "$UPSTREAM" add -A
git -C "$UPSTREAM" -c user.name=wheel-check -c user.email=wheel-check@localhost commit -q -m "the working tree"
cp "$CHECKOUT/reference/examples/box_iou_cpp.cpp" "$UPSTREAM/challenges/box_iou_cpp/solution.cpp"
status=0
(cd "$WORK" && grader grade-fork box_iou_cpp --upstream "$UPSTREAM" --ref HEAD --fork "$UPSTREAM" \
  --results-dir "$WORK/fork-results") > "$WORK/check.txt" 2>&1 || status=$?
[ "$status" -eq 0 ] || { cat "$WORK/check.txt"; fail "grader grade-fork box_iou_cpp exited with $status"; }
OFFICIAL=yes verdicts "$WORK/fork-results/cv-grader.json" box_iou_cpp
say "grader grade-fork box_iou_cpp passes, official: the wheel's files match the manifest"
say "passed"
