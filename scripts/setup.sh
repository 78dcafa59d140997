#!/usr/bin/env bash
# One-command set-up: torch (the CPU build unless you already have one), then cv-grader itself,
# editable, with its compiled kernels and the test dependencies.
#
#   bash scripts/setup.sh            # CPU torch 2.13.0 if no torch is installed
#   CVG_CUDA=ON bash scripts/setup.sh  # require the CUDA kernels (fails without nvcc)
#
# With a GPU: install the CUDA build of torch you want first (see pytorch.org); this script keeps
# any torch that is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "setup: keeping the installed torch $("$PYTHON" -c 'import torch; print(torch.__version__)')"
else
  # Installed before the project so that its unpinned torch requirement is already met: an
  # unpinned torch with none installed would pull a multi-GB CUDA build.
  "$PYTHON" -m pip install "torch==2.13.0"
fi
"$PYTHON" -m pip install -e ".[dev]"
# pip hides the build's own output; say here what was built, and what this machine can run.
"$PYTHON" - <<'PY'
import reference

info = reference.build_info()
if not info["extension_built"]:
    print(f"setup: the C++ reference kernels were NOT built: {info['import_error']}")
else:
    threads = f"OpenMP, {info['openmp_threads']} threads" if info["openmp"] else "no OpenMP"
    print(f"setup: built the C++ reference kernels ({threads})")
    if info["cuda_built"]:
        where = f"{info['cuda_device_count']} GPU(s) here" if info["gpu_available"] else "no GPU here to run them"
        print(f"setup: built the CUDA reference kernels ({where})")
    else:
        print("setup: CUDA reference kernels not built (no nvcc, or CVG_CUDA=OFF)")
PY
