#!/usr/bin/env bash
# On a machine with a CUDA GPU: build the CUDA kernels (required, not optional), check them
# against the CPU kernels, grade every CUDA and Numba-CUDA challenge with its example solution
# (trusted, for the speed table, then the way a candidate runs it: sandboxed, through the CLI),
# and compare with torchvision's CUDA ops where torchvision is installed. Budget: under 5 minutes.
#
#   bash scripts/gpu_check.sh                         # online: installs through scripts/setup.sh
#   CVG_WHEELHOUSE=.whl bash scripts/gpu_check.sh     # offline box that already has torch, numba,
#                                                     # pybind11 and scikit-build-core: installs the
#                                                     # project and the wheels in .whl without an index
# RESULTS=dir keeps the candidate-path JSON there (default: a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

if [[ -n "${CVG_WHEELHOUSE:-}" ]]; then
  "$PYTHON" -m pip install -q --no-index --no-deps "$CVG_WHEELHOUSE"/*.whl
  CVG_CUDA=ON "$PYTHON" -m pip install -q --no-index --no-deps --no-build-isolation -e .
else
  CVG_CUDA=ON bash scripts/setup.sh
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
"$PYTHON" -c "import reference, sys; info = reference.build_info(); print(info); sys.exit(0 if info['gpu_available'] else 1)"

# Every step runs even when an earlier one fails, so one run on a borrowed GPU shows everything.
failed=()
step() {
  local name=$1
  shift
  echo "== $name =="
  "$@" || failed+=("$name")
}
step "kernels: CUDA against CPU" "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_kernels.py
step "examples graded in process (trusted): speed table, torchvision" "$PYTHON" benchmarks/gpu_table.py

ids=$("$PYTHON" -c "
from pathlib import Path
from grader.catalog import load_catalog
from grader.running import GPU_TRACKS
print(' '.join(c.id for c in load_catalog(Path('.')) if c.track in GPU_TRACKS))")
results=${RESULTS:-$(mktemp -d)}
# shellcheck disable=SC2086 # the ids are identifiers, split on purpose
step "the candidate's path: examples as solutions, sandboxed, through grader check" \
  "$PYTHON" -m grader check $ids --solution reference/examples --jobs 1 -v --json "$results/check.json"
if ((${#failed[@]})); then
  printf 'gpu_check: FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "gpu_check: every step passed"
